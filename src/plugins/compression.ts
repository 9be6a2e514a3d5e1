import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { Negotiator } from '@fastify/accept-negotiator';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { addVary } from './vary.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the response cache: the stored body this response sends, which keeps its gzip form. */
    cachedBody?: { payload: Buffer; gzip?: Promise<Buffer> };
  }
}

/** Smaller bodies (a measure, a short page) gain too little to be worth the CPU per request. */
export const GZIP_MIN_BYTES = 4096;
const gzipAsync = promisify(gzip);
// Level 1, as nginx's default: on a 4.7 MB rollup-shaped body it is 8.3x smaller in ~22 ms,
// where level 6 is 9.3x in ~47 ms. Compression runs on libuv's pool, off the event loop.
const GZIP_OPTIONS = { level: constants.Z_BEST_SPEED };
const negotiator = new Negotiator({ supportedValues: ['gzip', 'identity'], cache: new LRUCache<string, string>({ max: 256 }) });

function bodyLength(payload: unknown): number {
  if (Buffer.isBuffer(payload)) return payload.length;
  if (typeof payload === 'string') return payload.length; // chars: a lower bound of bytes, enough for a threshold
  return -1;
}

/** Whether a body is large enough to be sent gzip-encoded (and so to vary by Accept-Encoding). */
export const encodable = (payload: unknown): boolean => bodyLength(payload) >= GZIP_MIN_BYTES;

function compressible(req: FastifyRequest, reply: FastifyReply, payload: unknown): boolean {
  return req.method === 'GET' && reply.statusCode === 200 && encodable(payload) && !reply.getHeader('content-encoding');
}

/** Whether a body of this size goes gzip-encoded to this request (its Accept-Encoding takes gzip). */
export function sendsGzip(req: FastifyRequest, payload: unknown): boolean {
  const header = req.headers['accept-encoding'];
  return encodable(payload) && !!header && negotiator.negotiate(header) === 'gzip';
}

/**
 * The strong ETag a gzip-encoded body carries: a different representation must have a
 * different strong validator (RFC 9110 8.8.3), so the identity ETag gets a suffix.
 */
export const gzipEtag = (etag: string) => (etag.endsWith('"') ? `${etag.slice(0, -1)}-gzip"` : etag);

/**
 * Large GET bodies (rollups, readings pages) are sent gzip-encoded to clients that ask for it
 * with Accept-Encoding, as BI tools and browsers do: a national rollup is ~4 MB of JSON,
 * ~0.5 MB gzipped, and the time to send it was most of its latency. A body from the response
 * cache is compressed once and the result kept with it, so a hit costs no compression.
 *
 * Registered after the ETag and response-cache hooks: they see and keep the identity body
 * (the ETag hook already answers If-None-Match with the ETag of the body this request would
 * get). HEAD describes the identity body: nothing is compressed for it.
 * Node's zlib does the encoding and @fastify/accept-negotiator reads the header (q-values,
 * `*`, `identity;q=0`); @fastify/compress was not used because it compresses every response
 * anew and cannot reuse the cached encoding.
 */
export function registerCompression(app: FastifyInstance) {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!compressible(req, reply, payload)) return payload;
    reply.header('vary', addVary(reply.getHeader('vary'), ['Accept-Encoding']));
    if (!sendsGzip(req, payload)) return payload;
    const body = payload as Buffer | string;
    const cached = req.cachedBody;
    let encoded: Buffer;
    if (cached && cached.payload === body) {
      cached.gzip ??= gzipAsync(cached.payload, GZIP_OPTIONS);
      encoded = await cached.gzip.catch((err) => { cached.gzip = undefined; throw err; });
    } else {
      encoded = await gzipAsync(body, GZIP_OPTIONS);
    }
    const etag = reply.getHeader('etag');
    if (typeof etag === 'string') reply.header('etag', gzipEtag(etag));
    reply.header('content-encoding', 'gzip');
    reply.removeHeader('content-length');
    return encoded;
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../db/change-feed.js';

declare module 'fastify' {
  interface FastifyRequest { cacheGeneration?: number; cacheFlight?: Flight }
}

/** The body is kept encoded: a hit writes the bytes, with no string to encode again per request.
 * `gzip` is its compressed form, made on the first request that asks for it (plugins/compression.ts). */
interface Entry { generation: number; payload: Buffer; gzip?: Promise<Buffer>; headers: Record<string, string> }

/** A miss being computed: identical requests arriving meanwhile wait for its entry. */
interface Flight { key: string; promise: Promise<Entry | null>; settle: (e: Entry | null) => void }

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const KEPT_HEADERS = ['content-type', 'etag', 'cache-control', 'vary'];
const keyOf = (req: FastifyRequest) => `${req.url}\u0000${req.headers.accept ?? ''}`;

/**
 * Successful GET responses are kept (LRU, bounded in bytes) and served again until any
 * change to the scorecard commits, on any instance: the change feed's generation moves and
 * every older entry is ignored. Reads stay exact, and a BI tool polling a rollup all day
 * costs one lookup. Auth runs before this (onRequest), so READ_ACCESS=key still applies.
 *
 * Misses are single-flight: while one request computes a (generation, key), identical
 * requests wait for its response instead of each running the same statements (ten
 * concurrent national rollups used to hold ten pool connections for seconds, and ten copies
 * of the body). If the first one fails, or its response is not cacheable, each waiter
 * computes its own.
 */
export function registerResponseCache(app: FastifyInstance, feed: ChangeFeed | undefined, maxBytes = 64 * 1024 * 1024) {
  if (!feed) return;
  // A large body's gzip form, kept beside it, is about a tenth of its size.
  const cache = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => Math.ceil(e.payload.length * 1.15) + 256 });
  const flights = new Map<string, Flight>();
  const settle = (req: FastifyRequest, entry: Entry | null) => {
    const f = req.cacheFlight;
    if (!f) return;
    req.cacheFlight = undefined;
    if (flights.get(f.key) === f) flights.delete(f.key);
    f.settle(entry);
  };

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'GET' || !feed.live) return;
    const generation = feed.generation;
    req.cacheGeneration = generation;
    const key = keyOf(req);
    const hit = cache.get(key);
    if (hit && hit.generation === generation) {
      reply.headers(hit.headers).header('x-cache', 'hit');
      req.cachedBody = hit;
      return reply.send(hit.payload);
    }
    const flightKey = `${generation}\u0000${key}`;
    const running = flights.get(flightKey);
    if (running) {
      const shared = await running.promise;
      if (!shared) return; // compute our own
      reply.headers(shared.headers).header('x-cache', 'shared');
      req.cachedBody = shared;
      return reply.send(shared.payload);
    }
    let resolve!: (e: Entry | null) => void;
    const promise = new Promise<Entry | null>((r) => { resolve = r; });
    const flight: Flight = { key: flightKey, promise, settle: resolve };
    flights.set(flightKey, flight);
    req.cacheFlight = flight;
  });

  // Whatever happened to the computing request (an error, a closed connection), its waiters go on.
  app.addHook('onResponse', async (req) => settle(req, null));

  app.addHook('onSend', async (req, reply, payload) => {
    if (WRITES.has(req.method)) {
      // This instance's own write: later reads here must not see an older entry, even before
      // the notification of the commit comes back.
      if (reply.statusCode < 400) feed.bump();
      return payload;
    }
    if (req.method !== 'GET') return payload;
    if (reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-cache') || req.cacheGeneration === undefined) {
      settle(req, null);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    const entry: Entry = { generation: req.cacheGeneration, payload: Buffer.from(payload), headers };
    // Waiters asked in the same generation as this request: its answer is theirs, even if a
    // change committed since. The cache keeps it only if nothing changed.
    settle(req, entry);
    if (req.cacheGeneration === feed.generation && feed.live) cache.set(keyOf(req), entry);
    req.cachedBody = entry;
    return entry.payload;
  });
}

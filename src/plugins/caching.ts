import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { encodable, gzipEtag, sendsGzip } from './compression.js';
import { addVary } from './vary.js';

/**
 * Every successful GET gets a strong ETag over its body and honours If-None-Match with 304,
 * so BI tools polling a rollup all day pay for a hash, not a download. `no-cache` semantics
 * (max-age=0, must-revalidate): always current, cheap to check.
 */
export function registerCaching(app: FastifyInstance, readAccess: 'public' | 'key') {
  const cacheControl = `${readAccess === 'public' ? 'public' : 'private'}, max-age=0, must-revalidate`;
  app.addHook('onSend', async (request, reply, payload) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    if (!request.url.startsWith('/v1/')) return payload;
    const etag = reply.getHeader('etag') ?? `"${createHash('sha1').update(payload).digest('base64url')}"`;
    // A body large enough to be gzip-encoded varies by Accept-Encoding too, in its 304 as in its 200.
    const vary = encodable(payload) ? ['Accept', 'Authorization', 'Accept-Encoding'] : ['Accept', 'Authorization'];
    reply.header('etag', etag).header('cache-control', cacheControl).header('vary', addVary(reply.getHeader('vary'), vary));
    const inm = request.headers['if-none-match'];
    if (inm) {
      // The body this request would get: gzip-encoded (plugins/compression.ts) has its own ETag.
      const current = request.method === 'GET' && sendsGzip(request, payload) ? gzipEtag(String(etag)) : etag;
      const match = inm.split(',').map((t) => t.trim().replace(/^W\//, '')).find((t) => t === current || t === '*');
      if (match) {
        reply.header('etag', current);
        reply.code(304);
        return '';
      }
    }
    return payload;
  });
}

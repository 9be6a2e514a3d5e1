import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Adds to Vary rather than replacing it: CORS's `Vary: Origin` must survive, or a shared cache
 * could hand one origin's Access-Control-Allow-Origin answer to another. */
export function addVary(current: unknown, add: string[]): string {
  const have = String(current ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of add) if (!have.some((h) => h.toLowerCase() === a.toLowerCase())) have.push(a);
  return have.join(', ');
}

/**
 * The strong ETag a gzip-encoded body carries: a different representation must have a
 * different strong validator (RFC 9110 8.8.3), so the identity ETag gets a suffix.
 */
export const gzipEtag = (etag: string) => (etag.endsWith('"') ? `${etag.slice(0, -1)}-gzip"` : etag);

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
    reply.header('etag', etag).header('cache-control', cacheControl).header('vary', addVary(reply.getHeader('vary'), ['Accept', 'Authorization']));
    const inm = request.headers['if-none-match'];
    if (inm) {
      // The gzip-encoded body (plugins/compression.ts) has its own ETag; either still matches.
      const gz = gzipEtag(String(etag));
      const match = inm.split(',').map((t) => t.trim().replace(/^W\//, '')).find((t) => t === etag || t === gz || t === '*');
      if (match) {
        if (match === gz) reply.header('etag', gz);
        reply.code(304);
        return '';
      }
    }
    return payload;
  });
}

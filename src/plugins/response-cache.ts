import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../db/change-feed.js';

declare module 'fastify' {
  interface FastifyRequest { cacheGeneration?: number }
}

interface Entry { generation: number; payload: string; headers: Record<string, string> }

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);
const KEPT_HEADERS = ['content-type', 'etag', 'cache-control', 'vary'];
const keyOf = (req: FastifyRequest) => `${req.url}\u0000${req.headers.accept ?? ''}`;

/**
 * Successful GET responses are kept (LRU, bounded in bytes) and served again until any
 * change to the scorecard commits, on any instance: the change feed's generation moves and
 * every older entry is ignored. Reads stay exact, and a BI tool polling a rollup all day
 * costs one lookup. Auth runs before this (onRequest), so READ_ACCESS=key still applies.
 */
export function registerResponseCache(app: FastifyInstance, feed: ChangeFeed | undefined, maxBytes = 64 * 1024 * 1024) {
  if (!feed) return;
  const cache = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => e.payload.length + 256 });

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'GET' || !feed.live) return;
    req.cacheGeneration = feed.generation;
    const hit = cache.get(keyOf(req));
    if (!hit || hit.generation !== feed.generation) return;
    reply.headers(hit.headers).header('x-cache', 'hit');
    return reply.send(hit.payload);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (WRITES.has(req.method)) {
      // This instance's own write: later reads here must not see an older entry, even before
      // the notification of the commit comes back.
      if (reply.statusCode < 400) feed.bump();
      return payload;
    }
    if (req.method !== 'GET') return payload;
    if (reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-cache')) return payload;
    if (req.cacheGeneration === undefined || req.cacheGeneration !== feed.generation || !feed.live) return payload;
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    cache.set(keyOf(req), { generation: req.cacheGeneration, payload, headers });
    return payload;
  });
}

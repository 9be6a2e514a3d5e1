import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { findActiveKey, SCOPE_RANK, type ApiKeyInfo, type Scope } from '../repositories/api-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one (health, docs) are open. */
    scope?: Scope;
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo | null;
  }
}

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

function challenge(detail: string) {
  return new AppError('unauthorized', detail, { headers: { 'www-authenticate': 'Bearer realm="scorecard"' } });
}

/**
 * Bearer API keys, looked up by hash on every request (no cache, so a revocation takes effect
 * at once). Reads are open when READ_ACCESS=public; a key that is sent is still checked.
 */
export function registerAuth(app: FastifyInstance, db: Database, readAccess: 'public' | 'key') {
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = request.routeOptions.config?.scope;
    if (!needed) return;
    const header = request.headers.authorization;
    if (!header) {
      if (needed === 'read' && readAccess === 'public') return;
      throw challenge('This request needs an API key: send Authorization: Bearer <key>');
    }
    const m = BEARER.exec(header);
    if (!m) throw challenge('Authorization header must be "Bearer <key>"');
    const key = await findActiveKey(db, m[1]);
    if (!key) throw challenge('The API key is unknown, revoked or expired');
    request.apiKey = key;
    if (SCOPE_RANK[key.scope] < SCOPE_RANK[needed]) {
      throw new AppError('forbidden', `This request needs the '${needed}' scope; the key '${key.name}' has '${key.scope}'`);
    }
  });
}

/** The name recorded as a write's `source`. */
export const sourceOf = (request: FastifyRequest) => request.apiKey?.name ?? 'anonymous';

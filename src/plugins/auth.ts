import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../db/change-feed.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { findActiveKey, hashKey, SCOPE_RANK, type ApiKeyInfo, type Scope } from '../repositories/api-keys.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one (health, docs) are open. */
    scope?: Scope;
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo | null;
    /** A 401/403 decided in onRequest, answered in preParsing (after the rate limit counted it). */
    authError: AppError | null;
  }
}

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

function challenge(detail: string) {
  return new AppError('unauthorized', detail, { headers: { 'www-authenticate': 'Bearer realm="scorecard"' } });
}

/** At most this long between lookups of a remembered key, whatever the change feed says. */
export const KEY_TTL_MS = 60_000;

/**
 * Keys found active, by hash, while the change feed is listening: each is valid only until
 * api_keys changes (any instance, the CLI, SQL by hand: the api_keys_notify trigger), its
 * own expiry passes, or a minute goes by. Unknown keys are not kept (a guesser cannot fill it), and without a live
 * feed every request looks its key up, as before.
 */
class KeyLookups {
  // The TTL bounds how long a key outlives its revocation if the listening connection dies
  // without the client noticing (no error, no end: a silent network drop).
  readonly #known = new LRUCache<string, { generation: number; key: ApiKeyInfo }>({ max: 1000, ttl: KEY_TTL_MS });
  constructor(private readonly db: Database, private readonly feed: ChangeFeed | undefined) {}

  async find(token: string): Promise<ApiKeyInfo | null> {
    const feed = this.feed;
    if (!feed?.live) return findActiveKey(this.db, token);
    const hash = hashKey(token);
    const generation = feed.keysGeneration; // before the lookup: a change notified meanwhile makes it stale
    const hit = this.#known.get(hash);
    if (hit && hit.generation === generation && (!hit.key.expiresAt || hit.key.expiresAt > new Date())) return hit.key;
    const key = await findActiveKey(this.db, token);
    if (key && feed.live && feed.keysGeneration === generation) this.#known.set(hash, { generation, key });
    else this.#known.delete(hash);
    return key;
  }
}

/**
 * Bearer API keys, looked up by hash. A key found active is remembered per instance until
 * api_keys changes anywhere (see KeyLookups): a revocation takes effect as soon as its
 * notification arrives, milliseconds after it commits, and a batch writer does not pay a
 * round trip per request. Reads are open when READ_ACCESS=public; a key that is sent is
 * still checked.
 *
 * The key is looked up in onRequest but a refusal is only thrown in preParsing: the rate limit
 * is a route-level onRequest hook, which runs after this one, so refusing here would let 401s
 * and 403s skip it (unlimited key guessing, a free way to load the database). Waiting one step
 * lets it count them: per key when the key is valid, per address when it is not.
 */
export function registerAuth(app: FastifyInstance, db: Database, readAccess: 'public' | 'key', feed?: ChangeFeed) {
  const keys = new KeyLookups(db, feed);
  app.decorateRequest('apiKey', null);
  app.decorateRequest('authError', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const needed = request.routeOptions.config?.scope;
    if (!needed) return;
    const header = request.headers.authorization;
    if (!header) {
      if (needed === 'read' && readAccess === 'public') return;
      request.authError = challenge('This request needs an API key: send Authorization: Bearer <key>');
      return;
    }
    const m = BEARER.exec(header);
    if (!m) {
      request.authError = challenge('Authorization header must be "Bearer <key>"');
      return;
    }
    const key = await keys.find(m[1]); // a database error here is a 503 at once
    if (!key) {
      request.authError = challenge('The API key is unknown, revoked or expired');
      return;
    }
    request.apiKey = key;
    if (SCOPE_RANK[key.scope] < SCOPE_RANK[needed]) {
      request.authError = new AppError('forbidden', `This request needs the '${needed}' scope; the key '${key.name}' has '${key.scope}'`);
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (request.authError) throw request.authError;
    return payload;
  });
}

/** The name recorded as a write's `source`. */
export const sourceOf = (request: FastifyRequest) => request.apiKey?.name ?? 'anonymous';

import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.js';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPE_RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scope: Scope;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Keys are 256-bit random tokens, so a fast hash is enough: nothing to brute-force. */
export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');
export const prefixOf = (key: string) => key.slice(0, 12);

export function generateKey(): string {
  return `csk_${randomBytes(32).toString('base64url')}`;
}

const toInfo = (r: { id: number; name: string; prefix: string; scope: Scope; created_at: Date; expires_at: Date | null; revoked_at: Date | null }): ApiKeyInfo => ({
  id: r.id, name: r.name, prefix: r.prefix, scope: r.scope, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
});

export async function insertKey(db: Database, key: string, name: string, scope: Scope, expiresAt: Date | null = null): Promise<ApiKeyInfo> {
  const row = await db
    .insertInto('api_keys')
    .values({ name, scope, prefix: prefixOf(key), hash: hashKey(key), expires_at: expiresAt })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toInfo(row);
}

/** Creates the key only if its hash is not stored yet (BOOTSTRAP_API_KEY on every start). */
export async function ensureKey(db: Database, key: string, name: string, scope: Scope): Promise<boolean> {
  const res = await db
    .insertInto('api_keys')
    .values({ name, scope, prefix: prefixOf(key), hash: hashKey(key) })
    .onConflict((oc) => oc.column('hash').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findActiveKey(db: Database, key: string, now = new Date()): Promise<ApiKeyInfo | null> {
  const row = await db.selectFrom('api_keys').selectAll().where('hash', '=', hashKey(key)).executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now)) return null;
  return toInfo(row);
}

export async function listKeys(db: Database): Promise<ApiKeyInfo[]> {
  return (await db.selectFrom('api_keys').selectAll().orderBy('id').execute()).map(toInfo);
}

/** Revokes by id, name or visible prefix; returns how many keys it revoked. */
export async function revokeKey(db: Database, idOrNameOrPrefix: string): Promise<number> {
  const asId = /^\d+$/.test(idOrNameOrPrefix) ? Number(idOrNameOrPrefix) : -1;
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('id', '=', asId), eb('name', '=', idOrNameOrPrefix), eb('prefix', '=', idOrNameOrPrefix)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

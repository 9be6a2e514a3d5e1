import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../errors.js';
import type { Executor } from './readings.js';

/** JSON with object keys sorted at every level: the same request however its keys were ordered. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * A retry that re-serialises the same body (another key order, other whitespace) is the same
 * request: the hash is over canonical JSON, not over the bytes. Bodies here have passed schema
 * validation, so they are shallow (no deep recursion).
 */
export const requestHash = (body: unknown) => createHash('sha256').update(canonicalJson(body)).digest('hex');

/**
 * Inside the write's own transaction: an advisory lock marks the key as in flight (a second
 * request meanwhile gets 409), and the stored response commits together with the writes, so a
 * crash leaves neither and a retry simply runs again.
 */
export async function claimIdempotencyKey(
  trx: Executor, keyId: number, idemKey: string, hash: string,
): Promise<{ status: number; body: unknown } | null> {
  const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${keyId}, hashtext(${idemKey})) as ok`.execute(trx);
  if (!lock.rows[0].ok) {
    throw new AppError('conflict', 'A request with this Idempotency-Key is still in progress; retry when it has finished', {
      headers: { 'retry-after': '1' },
    });
  }
  const row = await trx.selectFrom('idempotency_keys').selectAll()
    .where('key_id', '=', keyId).where('idempotency_key', '=', idemKey).executeTakeFirst();
  if (!row) return null;
  if (row.request_hash !== hash) {
    throw new AppError('unprocessable-content', 'This Idempotency-Key was used with a different request body; use a new key for a new request');
  }
  return { status: row.response_status ?? 200, body: row.response_body };
}

/**
 * `body`: the answer as a value, or as the JSON bytes already encoded for the client (a batch's
 * full answer, ~350 bytes a reading: stored as sent, never made into one large string). A
 * Buffer parameter goes in binary form, which for json is its text, hence the cast through
 * ::json (jsonb's binary form starts with a version byte).
 */
export async function storeIdempotentResponse(trx: Executor, keyId: number, idemKey: string, hash: string, status: number, body: unknown) {
  await trx.insertInto('idempotency_keys')
    .values({
      key_id: keyId, idempotency_key: idemKey, request_hash: hash, response_status: status,
      response_body: Buffer.isBuffer(body) ? sql<string>`${body}::json::jsonb` : JSON.stringify(body),
    })
    .execute();
}

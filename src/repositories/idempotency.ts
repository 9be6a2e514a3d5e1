import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { AppError } from '../errors.js';
import type { Executor } from './readings.js';

export const requestHash = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

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

export async function storeIdempotentResponse(trx: Executor, keyId: number, idemKey: string, hash: string, status: number, body: unknown) {
  await trx.insertInto('idempotency_keys')
    .values({ key_id: keyId, idempotency_key: idemKey, request_hash: hash, response_status: status, response_body: JSON.stringify(body) })
    .execute();
}

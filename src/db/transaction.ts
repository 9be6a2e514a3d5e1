import type { Transaction } from 'kysely';
import type { Database } from './database.js';
import type { DB } from './types.js';

const RETRYABLE = new Set(['40P01', '40001']); // deadlock detected, serialization failure

/**
 * An error that makes inTransaction run the whole transaction again, as PostgreSQL's own
 * serialization failures do: for a writer that finds, under its locks, that what it locked
 * by is stale (a measure moved to another priority meanwhile).
 */
export const retryTransaction = (message: string): Error => Object.assign(new Error(message), { code: '40001' });

/**
 * Runs fn in one transaction, retrying a deadlock or serialization failure: writers lock in
 * key order so these should not happen, but another client of the same database could still
 * cause one, and a retry is the correct answer to it, not a 5xx.
 */
export async function inTransaction<T>(db: Database, fn: (trx: Transaction<DB>) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}

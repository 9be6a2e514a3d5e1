import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './types.js';

export type Database = Kysely<DB>;

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /** How long a request waits for a free pooled connection before it is answered 503. */
  connectionTimeoutMs?: number;
  applicationName?: string;
}

/**
 * One pool per process. Statement and lock timeouts are set per connection so a stuck query
 * or a lock queue turns into an error the API can answer (503), never an endless wait.
 */
export function createDatabase(opts: DatabaseOptions): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolMax ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? 'scorecard-api',
    statement_timeout: opts.statementTimeoutMs ?? 30_000,
    lock_timeout: opts.lockTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    // No JIT: the service's statements are short, and a national rollup's plans cross
    // jit_above_cost, paying ~40 ms of compilation to save nothing. UTF8 whatever the server's
    // default: the write path sends its JSON document as UTF-8 bytes (write-store.ts).
    options: '-c jit=off -c client_encoding=UTF8',
  } as pg.PoolConfig);
  // A dropped connection must not crash the process. pg-pool listens for errors only on idle
  // clients; a client checked out (inside a transaction, between statements) whose server
  // goes away emits 'error' with no listener, which Node turns into an uncaught exception.
  // The query in flight (or the next one) still fails, and the error handler answers 503.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}

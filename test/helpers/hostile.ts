// Shared by the hostile-input, fault and load tests: a fingerprint of everything stored (to
// prove a refused request wrote nothing), a problem+json assertion, and a log capture.
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import type { InjectOptions } from 'fastify';
import type { Test } from 'tap';
import type { Database } from '../../src/db/database.js';
import type { TestApp } from './app.js';

export const DATA_TABLES = [
  'priorities', 'measures', 'targets', 'target_revisions', 'readings', 'reading_revisions',
  'actions', 'action_updates', 'action_update_revisions', 'idempotency_keys',
] as const;

/**
 * Row count and an md5 over every row of every data table: two equal fingerprints mean
 * nothing was written in between (not even a timestamp or revision).
 */
export async function fingerprint(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of DATA_TABLES) {
    const { rows } = await sql<{ n: string; h: string }>`
      select count(*)::text as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h
      from ${sql.table(table)} x`.execute(db);
    out[table] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

export async function count(db: Database, table: (typeof DATA_TABLES)[number]): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
  return rows[0].n;
}

interface Res {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

/**
 * Asserts an RFC 9457 answer with this status (or one of these statuses); with `field`, that
 * the errors name that field (a string matches a prefix of one field, a RegExp any field).
 */
export function assertProblem(
  t: Test, res: Res, status: number | number[], name: string,
  opts: { type?: string; field?: string | RegExp; detail?: RegExp } = {},
): ProblemBody | null {
  const allowed = Array.isArray(status) ? status : [status];
  const ok = t.ok(allowed.includes(res.statusCode), `${name}: status ${res.statusCode} is ${allowed.join(' or ')}`, { body: res.body.slice(0, 500) });
  t.match(String(res.headers['content-type'] ?? ''), /^application\/problem\+json/, `${name}: problem+json`);
  let body: ProblemBody;
  try {
    body = JSON.parse(res.body);
  } catch {
    t.fail(`${name}: body is not JSON: ${res.body.slice(0, 200)}`);
    return null;
  }
  if (!ok) return body;
  t.equal(body.status, res.statusCode, `${name}: status in body`);
  t.match(body.type, /^\/problems\/[a-z-]+$/, `${name}: type`);
  t.ok(typeof body.title === 'string' && body.title.length > 0, `${name}: title`);
  t.ok(typeof body.detail === 'string' && body.detail.length > 0, `${name}: detail says what is wrong`);
  if (opts.type) t.equal(body.type, `/problems/${opts.type}`, `${name}: problem type`);
  if (opts.detail) t.match(body.detail, opts.detail, `${name}: detail`);
  if (opts.field !== undefined) {
    const fields = (body.errors ?? []).map((e) => e.field);
    const f = opts.field;
    const hit = fields.some((x) => (typeof f === 'string' ? x === f || x.startsWith(`${f}/`) : f.test(x)));
    t.ok(hit, `${name}: errors name ${String(f)}`, { fields, detail: body.detail });
  }
  return body;
}

/** A pino logger at trace level whose every line lands in `lines` (for "keys are never logged"). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'trace' }, stream);
  return { logger, lines };
}

/** Takes the write lock of the measure with code $1, as every writer does (src/repositories/write-store.ts). */
export const HOLD_WRITE_LOCK = 'select pg_advisory_xact_lock((23566::bigint << 32) + priority_id % 4096) from measures where code = $1';

/** Holds a measure's write lock from another connection, as another writer of the database might. */
export async function holdMeasureLock(url: string, code = 'BBH-02') {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('begin');
  await c.query(HOLD_WRITE_LOCK, [code]);
  // Inside a transaction pg_stat_activity is a snapshot taken at its first read (PostgreSQL
  // 15's stats_fetch_consistency = cache): clear it, or a poll never sees a later waiter.
  const waiting = async () => {
    await c.query('select pg_stat_clear_snapshot()');
    return Number((await c.query(`select count(*) as n from pg_stat_activity
      where wait_event_type = 'Lock' and pid <> pg_backend_pid() and datname = current_database()`)).rows[0].n);
  };
  return {
    /** Sessions of this database waiting for a lock now. */
    waiting,
    /** Resolves once some other session waits for a lock. */
    waiter: () => waitFor('a session waiting for the lock', async () => (await waiting()) > 0, 5000),
    release: async () => { await c.query('rollback'); await c.end(); },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until fn returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(
  what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 10_000, everyMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Case {
  name: string;
  req: InjectOptions;
  status: number | number[];
  type?: string;
  field?: string | RegExp;
  detail?: RegExp;
  /** Which key sends it (default admin). */
  as?: 'admin' | 'write' | 'read' | null;
}

/** Sends each case and checks the problem answer, then that none of them wrote anything. */
export async function refuse(t: Test, ta: TestApp, cases: Case[]): Promise<void> {
  const before = await fingerprint(ta.db);
  for (const c of cases) {
    const res = await ta.as(c.as === undefined ? 'admin' : c.as, c.req);
    assertProblem(t, res, c.status, c.name, { type: c.type, field: c.field, detail: c.detail });
  }
  t.same(await fingerprint(ta.db), before, 'nothing was written by any of them');
}

// The write path's statements: lock, read the periods a change can reach, store every changed
// row. Each is one round trip whatever the batch size; rows travel as arrays (unnest) or one
// JSON document per table, never one statement per row.
import { retryTransaction } from '../db/transaction.js';
import { sql } from 'kysely';
import type { MeasureRow } from '../db/types.js';
import { DEPENDENT_SPAN } from '../domain/derive.js';
import { jsonArrayBytes } from '../json-bytes.js';
import type { Rag, ReadingStatus, TargetSpec } from '../domain/types.js';
import type { MeasureDirectory } from './measure-directory.js';
import type { Executor, StoredReading, StoredTarget } from './readings.js';

/**
 * An int[] (or bool[]) parameter as PostgreSQL's array literal, built with one join: given a
 * JavaScript array, pg quotes and escapes every element with two regexes and concatenates
 * (about a megabyte of garbage and a few ms per 1,000-window context read).
 */
const pgArray = (xs: readonly (number | boolean)[]): string => `{${xs.join(',')}}`;

/**
 * Writers serialise on transaction-scoped advisory locks, one per priority (a council's
 * measures): a council's own batches queue behind each other, other councils' never wait,
 * and a batch takes as many locks as it has priorities, not measures (a lock per measure
 * could exhaust PostgreSQL's shared lock table with two 5,000-row batches). Unlike FOR UPDATE
 * on 1,000 measure rows, which wrote a tuple lock and a WAL record each (~8 ms a batch), an
 * advisory lock writes nothing. The migration 2026_12_01_0900 takes the same locks for
 * writers that bypass the service, and before a measure is deleted.
 */
// One-key (bigint) advisory locks, a key space apart from the two-key ones the idempotency
// claims use: (0x5c0e << 32) + the priority id folded into LOCK_KEYS keys.
const LOCK_BASE = 0x5c0e * 2 ** 32;
const LOCK_KEYS = 4096;
export const lockKeyOf = (priorityId: number) => priorityId % LOCK_KEYS;

/** A measure as the lock knows it: its id and code never change; `lockKey`: the key locked for it. */
export interface LockedMeasure { id: number; code: string; lockKey: number }

/**
 * Locks the priorities of the measures with these codes, in key order, so writers cannot
 * deadlock with each other, and returns the measures that exist. One statement, so it reads
 * the priorities from a snapshot older than the lock: the next statement (loadWindows) reads
 * each measure again under the lock, and a measure moved to another priority meanwhile makes
 * the write retry (checkLockedPriorities). A code created after this statement is reported
 * as unknown, never written without its lock.
 */
export async function lockMeasuresByCode(db: Executor, codes: string[], directory?: MeasureDirectory): Promise<LockedMeasure[]> {
  if (directory) {
    const known: LockedMeasure[] = [];
    for (const code of codes) {
      const m = directory.get(code);
      if (!m) break;
      known.push({ id: m.id, code, lockKey: m.lockKey });
    }
    if (known.length === codes.length) {
      const keys = [...new Set(known.map((m) => m.lockKey))].sort((a, b) => a - b);
      await sql`select pg_advisory_xact_lock(${LOCK_BASE}::bigint + k) from unnest(${pgArray(keys)}::int[]) as k`.execute(db);
      return known;
    }
  }
  const r = await sql<LockedMeasure & { locks: number }>`
    with m as materialized (select id, code, priority_id % ${LOCK_KEYS}::int as "lockKey" from measures where code = any(${codes}::text[])),
    l as (select count(pg_advisory_xact_lock(${LOCK_BASE}::bigint + k))::int as locks
      from (select distinct "lockKey" as k from m order by k) keys)
    select m.id, m.code, m."lockKey", l.locks from m, l order by m.id`.execute(db);
  for (const m of r.rows) directory?.remember(m.code, m.id, m.lockKey);
  return r.rows.map(({ id, code, lockKey }) => ({ id, code, lockKey }));
}

/** Takes the lock of one more priority (a measure moving there), out of key order: a deadlock is detected and retried. */
export async function lockPriority(db: Executor, priorityId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LOCK_BASE}::bigint + ${lockKeyOf(priorityId)}::int)`.execute(db);
}

/**
 * Measures whose priority, read under the lock, is not one this transaction holds the lock
 * of: moved by a writer that committed between the lock statement's snapshot and the lock.
 * Empty in the common case, with no round trip and nothing allocated.
 */
export async function unlockedPriorities(db: Executor, locked: Iterable<LockedMeasure>, priorityOf: (measureId: number) => number | undefined): Promise<number[]> {
  let odd: [number, number][] | undefined;
  for (const m of locked) {
    const p = priorityOf(m.id);
    if (p !== undefined && m.lockKey !== lockKeyOf(p)) (odd ??= []).push([m.id, p]);
  }
  if (!odd) return [];
  // A one-key advisory lock shows in pg_locks as classid = its high 32 bits, objid = its low ones.
  const held = await sql<{ k: string }>`select objid::bigint::text as k from pg_locks
    where locktype = 'advisory' and pid = pg_backend_pid() and objsubid = 1 and classid = ${LOCK_BASE / 2 ** 32}::int::oid`.execute(db);
  const keys = new Set(held.rows.map((h) => Number(h.k)));
  return odd.filter(([, p]) => !keys.has(lockKeyOf(p))).map(([id]) => id);
}

/**
 * The same for one measure with its whole row (read after the lock), for a writer that
 * replaces the measure. A measure moved to another priority between the lookup and the lock
 * makes the transaction run again (40001), as in applyChanges: its lock is not the one held.
 */
export async function lockMeasureRowByCode(db: Executor, code: string): Promise<MeasureRow | undefined> {
  const [m] = await lockMeasuresByCode(db, [code]);
  if (!m) return undefined;
  const row = (await sql<MeasureRow>`select * from measures where id = ${m.id}`.execute(db)).rows[0];
  if (row && lockKeyOf(row.priority_id) !== m.lockKey) {
    throw retryTransaction(`measure ${code} moved to another priority while this write waited; retrying`);
  }
  return row;
}

/** What the rules read of a measure. */
export type MeasureRuleColumns = Pick<MeasureRow, 'polarity' | 'management_info_only' | 'frequency' | 'reporting_quarter' | 'trend_basis'>;

/** What the write path reads of a measure under the lock: its rules and its priority (whose lock it must hold). */
export type MeasureLockedColumns = MeasureRuleColumns & Pick<MeasureRow, 'priority_id'>;

/**
 * The periods [lo, hi] a write can change for a measure; `single`: only `lo` itself is written
 * (then, when no later reading exists, the target of `lo` is the only one read).
 */
export interface Window { measureId: number; lo: number; hi: number; single?: boolean }

type ReadingTuple = [
  key: number, value: string | null, numerator: string | null, denominator: string | null, status: string | null,
  commentary: string | null, overrideRag: string | null, overrideReason: string | null, computedRag: string | null,
  rag: string | null, ragReason: string | null, variance: string | null, trend: string | null, trendKey: number | null,
  trendValue: string | null, revision: number, source: string, updatedAt: string,
];
/**
 * What a write needs to see, per measure window [lo, hi] (the written periods and the year
 * after them): the full readings and targets inside it, and the values of the year before
 * it, which the rules compare with. One statement, one row per window with each part as a
 * JSON array (numerics as text, so nothing passes through a float); each part is one index
 * range scan on its primary key.
 */
/** What the rules may read of one measure around a write. */
export interface MeasureContext {
  rules: MeasureRuleColumns;
  priorityId: number;
  /** Values of the year before the window, by period key. */
  earlier: Map<number, string | null>;
  /** Stored readings inside the window, by period key. */
  readings: Map<number, StoredReading>;
  /** Targets inside the window, by period key, without their reasons (see targetReasons); null: removed by this write. */
  targets: TargetsInWindow;
}

/**
 * A window's targets as the context read returned them (`key|kind|value|min|max|rule|revision`,
 * comma-separated), each parsed the first time the rules ask for it: a write reads the target
 * of the period it writes, rarely the others of the year after.
 */
export class TargetsInWindow {
  readonly #raw: string;
  readonly #parsed = new Map<number, StoredTarget | null>();
  constructor(raw: string | null) { this.#raw = raw ? `,${raw}` : ''; }

  get(key: number): StoredTarget | null | undefined {
    if (this.#parsed.has(key)) return this.#parsed.get(key);
    const at = this.#raw.indexOf(`,${key}|`);
    if (at < 0) return undefined;
    const end = this.#raw.indexOf(',', at + 1);
    const [, kind, value, min, max, rule, revision] = this.#raw.slice(at + 1, end < 0 ? undefined : end).split('|');
    const spec: TargetSpec = kind === 'band' ? { kind, min, max } : kind === 'rule' ? { kind, rule: rule as 'baseline' } : { kind: 'value', value };
    const t = { spec, revision: Number(revision), reason: null };
    this.#parsed.set(key, t);
    return t;
  }

  set(key: number, t: StoredTarget | null): void { this.#parsed.set(key, t); }
}

export async function loadWindows(db: Executor, windows: Window[]): Promise<Map<number, MeasureContext>> {
  const out = new Map<number, MeasureContext>();
  if (!windows.length) return out;
  // Targets: only the written period's when it is the measure's one written period and no later
  // reading compares with it (the quarter-end case), else the whole window's.
  // One range scan of a measure's readings from a year before the window to its end: values
  // before the window and targets, the bulk of it, as compact `key=value` and
  // `key|kind|value|min|max|rule|revision` lists (PostgreSQL builds those several times faster
  // than JSON, and none of their fields can hold a separator: numerics, a period key, enum-like
  // kind and rule); full readings inside the window (only where a written period already has
  // one, or a later period compares with it) as JSON.
  const r = await sql<MeasureLockedColumns & { id: number; e: string | null; r: ReadingTuple[] | null; t: string | null }>`
    select w.id, m.priority_id, m.polarity, m.management_info_only, m.frequency, m.reporting_quarter, m.trend_basis, rr.e, rr.r,
      (select string_agg(t.period_key || '|' || t.kind || '|' || coalesce(t.value::text, '') || '|' || coalesce(t.min::text, '') || '|' ||
          coalesce(t.max::text, '') || '|' || coalesce(t.rule, '') || '|' || t.revision, ',')
        from targets t where t.measure_id = w.id
          and t.period_key between w.lo and case when w.single and rr.r is null then w.lo else w.hi end) as t
    from unnest(${pgArray(windows.map((w) => w.measureId))}::int[], ${pgArray(windows.map((w) => w.lo))}::int[],
      ${pgArray(windows.map((w) => w.hi))}::int[], ${pgArray(windows.map((w) => w.single === true))}::bool[]) as w(id, lo, hi, single)
    -- a probe per window (offset 0 keeps it one): as a join, the planner hashes every measure
    -- (8,000 at 40 councils: a third of this statement's time) for a batch naming 500
    cross join lateral (select x.priority_id, x.polarity, x.management_info_only, x.frequency, x.reporting_quarter, x.trend_basis
      from measures x where x.id = w.id offset 0) m
    cross join lateral (
      select string_agg(r.period_key || '=' || coalesce(r.value::text, ''), ',') filter (where r.period_key < w.lo) as e,
        json_agg(json_build_array(r.period_key, r.value::text, r.numerator::text, r.denominator::text, r.status,
          r.commentary, r.override_rag, r.override_reason, r.computed_rag, r.rag, r.rag_reason, r.variance::text, r.trend,
          r.trend_period_key, r.trend_value::text, r.revision, r.source, r.updated_at)) filter (where r.period_key >= w.lo) as r
      from readings r where r.measure_id = w.id and r.period_key between w.lo - ${DEPENDENT_SPAN}::int and w.hi) rr`
    .execute(db);
  for (const w of r.rows) {
    const { id, priority_id, polarity, management_info_only, frequency, reporting_quarter, trend_basis } = w;
    const ctx: MeasureContext = {
      rules: { polarity, management_info_only, frequency, reporting_quarter, trend_basis }, priorityId: priority_id,
      earlier: new Map(), readings: new Map(), targets: new TargetsInWindow(w.t),
    };
    out.set(id, ctx);
    if (w.e) {
      for (const part of w.e.split(',')) {
        const eq = part.indexOf('=');
        ctx.earlier.set(Number(part.slice(0, eq)), eq === part.length - 1 ? null : part.slice(eq + 1));
      }
    }
    for (const x of w.r ?? []) {
      ctx.readings.set(x[0], {
        measureId: id, key: x[0], value: x[1], numerator: x[2], denominator: x[3], status: x[4] as ReadingStatus | null,
        commentary: x[5], overrideRag: x[6] as Rag | null, overrideReason: x[7], computedRag: x[8] as Rag | null,
        rag: x[9] as Rag | null, ragReason: x[10], variance: x[11], trend: x[12], trendPeriodKey: x[13], trendValue: x[14],
        revision: x[15], source: x[16], updatedAt: new Date(x[17]),
      });
    }
  }
  return out;
}

/** The reasons stored with these periods' targets (only a target change compares them). */
export async function targetReasons(db: Executor, pairs: { measureId: number; key: number }[]): Promise<{ measureId: number; key: number; reason: string | null }[]> {
  if (!pairs.length) return [];
  const r = await sql<{ measure_id: number; period_key: number; reason: string | null }>`select t.measure_id, t.period_key, t.reason
    from targets t join unnest(${pairs.map((p) => p.measureId)}::int[], ${pairs.map((p) => p.key)}::int[]) as p(id, k)
    on t.measure_id = p.id and t.period_key = p.k`.execute(db);
  return r.rows.map((x) => ({ measureId: x.measure_id, key: x.period_key, reason: x.reason }));
}

export interface TargetWrite { measureId: number; key: number; spec: TargetSpec; reason: string | null; revision: number; source: string; at: Date }
export interface RevisionWrite { measureId: number; key: number; revision: number; snapshot: unknown; source: string; at: Date }

export interface ChangeSet {
  targets: TargetWrite[];
  targetDeletes: { measureId: number; key: number }[];
  targetRevisions: RevisionWrite[];
  /** Every reading row whose stored columns change; all get updated_at = `at`. */
  readings: StoredReading[];
  /**
   * Superseded reading versions, as they were written: a reading's current revision lives in
   * its readings row, and is copied here before that row (or its period's target) first
   * changes. A revision already kept is never overwritten.
   */
  readingHistory: RevisionWrite[];
  /**
   * Every row in `readings` is new: none was stored when the context was read under the
   * priority locks, so they go in as a plain INSERT. An upsert pays for the ON CONFLICT check
   * and fires the statement-level UPDATE triggers (measure check, rollup summaries) on empty
   * transition tables: ~2 ms of PostgreSQL's CPU per 1,000 rows, a fifth of the insert.
   */
  readingsAllNew?: boolean;
  at: Date;
}

const json = (rows: unknown[]) => JSON.stringify(rows);
const revisionJson = (r: RevisionWrite) => ({
  measure_id: r.measureId, period_key: r.key, revision: r.revision, snapshot: r.snapshot, source: r.source, created_at: r.at.toISOString(),
});
// Short keys, and no key for a null (json_to_recordset reads a missing key as null): a new
// reading is ~150 bytes of JSON instead of ~400.
const readingJson = (r: StoredReading) => {
  const o: Record<string, string | number> = { m: r.measureId, k: r.key, rv: r.revision, s: r.source };
  if (r.value !== null) o.v = r.value;
  if (r.numerator !== null) o.n = r.numerator;
  if (r.denominator !== null) o.d = r.denominator;
  if (r.status !== null) o.st = r.status;
  if (r.commentary !== null) o.c = r.commentary;
  if (r.overrideRag !== null) o.ov = r.overrideRag;
  if (r.overrideReason !== null) o.os = r.overrideReason;
  if (r.computedRag !== null) o.cr = r.computedRag;
  if (r.rag !== null) o.r = r.rag;
  if (r.ragReason !== null) o.rr = r.ragReason;
  if (r.variance !== null) o.va = r.variance;
  if (r.trend !== null) o.t = r.trend;
  if (r.trendPeriodKey !== null) o.tk = r.trendPeriodKey;
  if (r.trendValue !== null) o.tv = r.trendValue;
  return o;
};
const READING_RECORD = `m int, k int, v numeric, n numeric, d numeric, st text, c text, ov text, os text, cr text, r text,
  rr text, va numeric, t text, tk int, tv numeric, rv int, s text`;

/**
 * Every changed row of one write, in one statement (data-modifying CTEs all run once), with
 * only the parts this write has. New readings, the quarter-end bulk, are one
 * INSERT ... SELECT FROM json_to_recordset(...) and nothing else.
 */
export async function persistChanges(db: Executor, c: ChangeSet): Promise<void> {
  const parts = [];
  if (c.targets.length) {
    parts.push(sql`insert into targets (measure_id, period_key, kind, value, min, max, rule, reason, revision, source, updated_at)
      select x.* from json_to_recordset(${json(c.targets.map((t) => ({
        measure_id: t.measureId, period_key: t.key, kind: t.spec.kind,
        value: t.spec.kind === 'value' ? t.spec.value : null, min: t.spec.kind === 'band' ? t.spec.min : null,
        max: t.spec.kind === 'band' ? t.spec.max : null, rule: t.spec.kind === 'rule' ? t.spec.rule : null,
        reason: t.reason, revision: t.revision, source: t.source, updated_at: t.at.toISOString(),
      })))}::json) as x(measure_id int, period_key int, kind text, value numeric,
        min numeric, max numeric, rule text, reason text, revision int, source text, updated_at timestamptz)
      on conflict (measure_id, period_key) do update set kind = excluded.kind, value = excluded.value, min = excluded.min,
        max = excluded.max, rule = excluded.rule, reason = excluded.reason, revision = excluded.revision,
        source = excluded.source, updated_at = excluded.updated_at`);
  }
  if (c.targetDeletes.length) {
    parts.push(sql`delete from targets t using unnest(${c.targetDeletes.map((d) => d.measureId)}::int[], ${c.targetDeletes.map((d) => d.key)}::int[]) as d(measure_id, period_key)
      where t.measure_id = d.measure_id and t.period_key = d.period_key`);
  }
  if (c.targetRevisions.length) {
    parts.push(sql`insert into target_revisions (measure_id, period_key, revision, snapshot, source, created_at)
      select x.* from json_to_recordset(${json(c.targetRevisions.map(revisionJson))}::json) as x(measure_id int, period_key int, revision int,
        snapshot jsonb, source text, created_at timestamptz)`);
  }
  if (c.readingHistory.length) {
    parts.push(sql`insert into reading_revisions (measure_id, period_key, revision, snapshot, source, created_at)
      select x.* from json_to_recordset(${json(c.readingHistory.map(revisionJson))}::json) as x(measure_id int, period_key int, revision int,
        snapshot jsonb, source text, created_at timestamptz)
      on conflict (measure_id, period_key, revision) do nothing`);
  }
  if (c.readings.length) {
    // One JSON document: JSON.stringify and json_to_recordset beat 18 array parameters on both
    // sides (pg escapes every array element in JavaScript; about a quarter less in all, measured on 1,000 rows).
    // Sent as bytes built a slice at a time: a Buffer parameter goes in binary form, and json's
    // binary form is its text in the client encoding (UTF8, set by createDatabase). Keep the cast
    // ::json: jsonb's binary form starts with a version byte.
    parts.push(sql`insert into readings (measure_id, period_key, value, numerator, denominator, status, commentary, override_rag,
        override_reason, computed_rag, rag, rag_reason, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
      select x.*, ${c.at.toISOString()}::timestamptz from json_to_recordset(${jsonArrayBytes(c.readings, (rs) => JSON.stringify(rs.map(readingJson)))}::json)
        as x(${sql.raw(READING_RECORD)})
      ${c.readingsAllNew ? sql`` : sql`on conflict (measure_id, period_key) do update set
        value = excluded.value, numerator = excluded.numerator, denominator = excluded.denominator, status = excluded.status,
        commentary = excluded.commentary, override_rag = excluded.override_rag, override_reason = excluded.override_reason,
        computed_rag = excluded.computed_rag, rag = excluded.rag, rag_reason = excluded.rag_reason, variance = excluded.variance,
        trend = excluded.trend, trend_period_key = excluded.trend_period_key, trend_value = excluded.trend_value,
        revision = excluded.revision, source = excluded.source, updated_at = excluded.updated_at`}`);
  }
  if (!parts.length) return;
  try {
    if (parts.length === 1) await parts[0].execute(db);
    else await sql`with ${sql.join(parts.map((p, i) => sql`${sql.raw(`p${i}`)} as (${p})`))} select 1`.execute(db);
  } catch (err) {
    // A row that was not there under the locks is there now: written by a client that took no
    // lock (bare SQL with the triggers disabled). Run the write again, which reads it and updates it.
    const { code, constraint } = err as { code?: string; constraint?: string };
    if (c.readingsAllNew && code === '23505' && constraint === 'readings_pk') {
      throw retryTransaction('a reading this write found missing was stored meanwhile; retrying');
    }
    throw err;
  }
}

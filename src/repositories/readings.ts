import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { DB, ReadingRow, TargetRow } from '../db/types.js';
import { formatPeriod, periodFromKey } from '../domain/periods.js';
import type { Rag, ReadingStatus, TargetSpec } from '../domain/types.js';
import type { ReadingView } from '../schemas/readings.js';

export type Executor = Database | Transaction<DB>;

/** A reading as held in memory by the write path: stored inputs plus derived values. */
export interface StoredReading {
  measureId: number;
  key: number;
  value: string | null;
  numerator: string | null;
  denominator: string | null;
  status: ReadingStatus | null;
  commentary: string | null;
  overrideRag: Rag | null;
  overrideReason: string | null;
  computedRag: Rag | null;
  rag: Rag | null;
  ragReason: string | null;
  variance: string | null;
  trend: string | null;
  trendPeriodKey: number | null;
  trendValue: string | null;
  revision: number;
  source: string;
  updatedAt: Date;
}

export interface StoredTarget {
  spec: TargetSpec;
  reason: string | null;
  revision: number;
}

export const fromReadingRow = (r: ReadingRow): StoredReading => ({
  measureId: r.measure_id,
  key: r.period_key,
  value: r.value,
  numerator: r.numerator,
  denominator: r.denominator,
  status: r.status as ReadingStatus | null,
  commentary: r.commentary,
  overrideRag: r.override_rag as Rag | null,
  overrideReason: r.override_reason,
  computedRag: r.computed_rag as Rag | null,
  rag: r.rag as Rag | null,
  ragReason: r.rag_reason,
  variance: r.variance,
  trend: r.trend,
  trendPeriodKey: r.trend_period_key,
  trendValue: r.trend_value,
  revision: r.revision,
  source: r.source,
  updatedAt: r.updated_at,
});

export function targetSpecOf(t: Pick<TargetRow, 'kind' | 'value' | 'min' | 'max' | 'rule'>): TargetSpec {
  if (t.kind === 'band') return { kind: 'band', min: t.min!, max: t.max! };
  if (t.kind === 'rule') return { kind: 'rule', rule: t.rule as 'baseline' };
  return { kind: 'value', value: t.value! };
}

const n = (s: string | null) => (s === null ? null : Number(s));

export function targetView(spec: TargetSpec | null): ReadingView['target'] {
  if (!spec) return null;
  if (spec.kind === 'value') return Number(spec.value);
  if (spec.kind === 'band') return { min: Number(spec.min), max: Number(spec.max) };
  return { rule: spec.rule };
}

/** The one place a stored reading becomes the API's shape. */
export function readingView(measureCode: string, r: StoredReading, target: TargetSpec | null): ReadingView {
  return {
    measure: measureCode,
    period: formatPeriod(periodFromKey(r.key)),
    value: n(r.value),
    numerator: n(r.numerator),
    denominator: n(r.denominator),
    status: r.status,
    target: targetView(target),
    rag: r.rag,
    computedRag: r.computedRag,
    ragOverride: r.overrideRag ? { rag: r.overrideRag, reason: r.overrideReason ?? '' } : null,
    ragReason: r.ragReason as ReadingView['ragReason'],
    variance: n(r.variance),
    trend: r.trend as ReadingView['trend'],
    trendComparedWith:
      r.trendPeriodKey !== null && r.trendValue !== null
        ? { period: formatPeriod(periodFromKey(r.trendPeriodKey)), value: Number(r.trendValue) }
        : null,
    commentary: r.commentary,
    revision: r.revision,
    updatedAt: r.updatedAt.toISOString(),
    source: r.source,
  };
}

export const etagOf = (body: unknown) => `"${createHash('sha1').update(JSON.stringify(body)).digest('base64url')}"`;

export interface Window { measureId: number; lo: number; hi: number }

/** Readings of several measures, each within its own period-key window, in one query. */
export async function loadReadingWindows(db: Executor, windows: Window[]): Promise<StoredReading[]> {
  if (!windows.length) return [];
  const rows = await sql<ReadingRow>`
    select r.* from readings r
    join unnest(${windows.map((w) => w.measureId)}::int[], ${windows.map((w) => w.lo)}::int[], ${windows.map((w) => w.hi)}::int[]) as w(id, lo, hi)
      on r.measure_id = w.id and r.period_key between w.lo and w.hi`.execute(db);
  return rows.rows.map(fromReadingRow);
}

export async function loadTargetWindows(db: Executor, windows: Window[]): Promise<(StoredTarget & { measureId: number; key: number })[]> {
  if (!windows.length) return [];
  const rows = await sql<TargetRow>`
    select t.* from targets t
    join unnest(${windows.map((w) => w.measureId)}::int[], ${windows.map((w) => w.lo)}::int[], ${windows.map((w) => w.hi)}::int[]) as w(id, lo, hi)
      on t.measure_id = w.id and t.period_key between w.lo and w.hi`.execute(db);
  return rows.rows.map((t) => ({ measureId: t.measure_id, key: t.period_key, spec: targetSpecOf(t), reason: t.reason, revision: t.revision }));
}

/** One set-based upsert for any number of readings (no per-row round trips). */
export async function upsertReadings(db: Executor, rows: StoredReading[]): Promise<void> {
  if (!rows.length) return;
  const col = <K extends keyof StoredReading>(k: K) => rows.map((r) => r[k]);
  await sql`
    insert into readings (measure_id, period_key, value, numerator, denominator, status, commentary, override_rag,
      override_reason, computed_rag, rag, rag_reason, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
    select * from unnest(${col('measureId')}::int[], ${col('key')}::int[], ${col('value')}::numeric[], ${col('numerator')}::numeric[],
      ${col('denominator')}::numeric[], ${col('status')}::text[], ${col('commentary')}::text[], ${col('overrideRag')}::text[],
      ${col('overrideReason')}::text[], ${col('computedRag')}::text[], ${col('rag')}::text[], ${col('ragReason')}::text[],
      ${col('variance')}::numeric[], ${col('trend')}::text[], ${col('trendPeriodKey')}::int[], ${col('trendValue')}::numeric[],
      ${col('revision')}::int[], ${col('source')}::text[], ${col('updatedAt')}::timestamptz[])
    on conflict (measure_id, period_key) do update set
      value = excluded.value, numerator = excluded.numerator, denominator = excluded.denominator, status = excluded.status,
      commentary = excluded.commentary, override_rag = excluded.override_rag, override_reason = excluded.override_reason,
      computed_rag = excluded.computed_rag, rag = excluded.rag, rag_reason = excluded.rag_reason, variance = excluded.variance,
      trend = excluded.trend, trend_period_key = excluded.trend_period_key, trend_value = excluded.trend_value,
      revision = excluded.revision, source = excluded.source, updated_at = excluded.updated_at`.execute(db);
}

export async function insertRevisions(
  db: Executor,
  table: 'reading_revisions' | 'target_revisions',
  rows: { measureId: number; key: number; revision: number; snapshot: unknown; source: string; at: Date }[],
): Promise<void> {
  if (!rows.length) return;
  await sql`
    insert into ${sql.table(table)} (measure_id, period_key, revision, snapshot, source, created_at)
    select * from unnest(${rows.map((r) => r.measureId)}::int[], ${rows.map((r) => r.key)}::int[], ${rows.map((r) => r.revision)}::int[],
      ${rows.map((r) => JSON.stringify(r.snapshot))}::jsonb[], ${rows.map((r) => r.source)}::text[], ${rows.map((r) => r.at)}::timestamptz[])`.execute(db);
}

export async function upsertTargets(
  db: Executor,
  rows: { measureId: number; key: number; spec: TargetSpec; reason: string | null; revision: number; source: string; at: Date }[],
): Promise<void> {
  if (!rows.length) return;
  const pick = (f: (s: TargetSpec) => string | null) => rows.map((r) => f(r.spec));
  await sql`
    insert into targets (measure_id, period_key, kind, value, min, max, rule, reason, revision, source, updated_at)
    select * from unnest(${rows.map((r) => r.measureId)}::int[], ${rows.map((r) => r.key)}::int[], ${pick((s) => s.kind)}::text[],
      ${pick((s) => (s.kind === 'value' ? s.value : null))}::numeric[], ${pick((s) => (s.kind === 'band' ? s.min : null))}::numeric[],
      ${pick((s) => (s.kind === 'band' ? s.max : null))}::numeric[], ${pick((s) => (s.kind === 'rule' ? s.rule : null))}::text[],
      ${rows.map((r) => r.reason)}::text[], ${rows.map((r) => r.revision)}::int[], ${rows.map((r) => r.source)}::text[],
      ${rows.map((r) => r.at)}::timestamptz[])
    on conflict (measure_id, period_key) do update set kind = excluded.kind, value = excluded.value, min = excluded.min,
      max = excluded.max, rule = excluded.rule, reason = excluded.reason, revision = excluded.revision,
      source = excluded.source, updated_at = excluded.updated_at`.execute(db);
}

export async function deleteTargets(db: Executor, rows: { measureId: number; key: number }[]): Promise<void> {
  if (!rows.length) return;
  await sql`delete from targets t using unnest(${rows.map((r) => r.measureId)}::int[], ${rows.map((r) => r.key)}::int[]) as d(id, k)
    where t.measure_id = d.id and t.period_key = d.k`.execute(db);
}

/** Readings of one measure with their targets, as API views, in period order. */
export async function readingViews(
  db: Executor, measure: { id: number; code: string }, opts: { key?: number; afterKey?: number | null; limit?: number } = {},
): Promise<ReadingView[]> {
  let q = db.selectFrom('readings as r')
    .leftJoin('targets as t', (j) => j.onRef('t.measure_id', '=', 'r.measure_id').onRef('t.period_key', '=', 'r.period_key'))
    .selectAll('r')
    .select(['t.kind as t_kind', 't.value as t_value', 't.min as t_min', 't.max as t_max', 't.rule as t_rule'])
    .where('r.measure_id', '=', measure.id)
    .orderBy('r.period_key');
  if (opts.key !== undefined) q = q.where('r.period_key', '=', opts.key);
  if (opts.afterKey != null) q = q.where('r.period_key', '>', opts.afterKey);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  const rows = await q.execute();
  return rows.map((r) => readingView(measure.code, fromReadingRow(r), r.t_kind
    ? targetSpecOf({ kind: r.t_kind, value: r.t_value, min: r.t_min, max: r.t_max, rule: r.t_rule })
    : null));
}

export async function readingRevisions(db: Executor, measureId: number, key: number, afterRevision: number | null, limit: number) {
  let q = db.selectFrom('reading_revisions').selectAll()
    .where('measure_id', '=', measureId).where('period_key', '=', key).orderBy('revision').limit(limit);
  if (afterRevision !== null) q = q.where('revision', '>', afterRevision);
  return (await q.execute()).map((r) => ({
    revision: r.revision, source: r.source, createdAt: r.created_at.toISOString(), reading: r.snapshot as unknown as ReadingView,
  }));
}

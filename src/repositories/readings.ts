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

// Period labels by key: a batch's readings share a handful of periods.
const labels = new Map<number, string>();
const periodLabel = (key: number): string => {
  let l = labels.get(key);
  if (l === undefined) {
    l = formatPeriod(periodFromKey(key));
    if (labels.size < 10_000) labels.set(key, l);
  }
  return l;
};

/** The one place a stored reading becomes the API's shape. */
export function readingView(measureCode: string, r: StoredReading, target: TargetSpec | null): ReadingView {
  return {
    measure: measureCode,
    period: periodLabel(r.key),
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
        ? { period: periodLabel(r.trendPeriodKey), value: Number(r.trendValue) }
        : null,
    commentary: r.commentary,
    revision: r.revision,
    updatedAt: r.updatedAt.toISOString(),
    source: r.source,
  };
}

export const etagOf = (body: unknown) => `"${createHash('sha1').update(JSON.stringify(body)).digest('base64url')}"`;

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

/**
 * Every version of a reading, oldest first: superseded versions from reading_revisions (kept
 * as they were written) and the current one, which lives in the readings row and is listed
 * from there unless history already holds it (it does once the row was re-derived). Both are
 * read in one snapshot, so a concurrent write cannot show a version twice or skip one.
 */
export async function readingRevisions(db: Database, measure: { id: number; code: string }, key: number, afterRevision: number | null, limit: number) {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
    let q = trx.selectFrom('reading_revisions').selectAll()
      .where('measure_id', '=', measure.id).where('period_key', '=', key).orderBy('revision').limit(limit);
    if (afterRevision !== null) q = q.where('revision', '>', afterRevision);
    const kept = (await q.execute()).map((r) => ({
      revision: r.revision, source: r.source, createdAt: r.created_at.toISOString(), reading: r.snapshot as unknown as ReadingView,
    }));
    if (kept.length >= limit) return kept;
    const [current] = await readingViews(trx, measure, { key });
    const last = kept.length ? kept[kept.length - 1].revision : afterRevision ?? 0;
    if (current && current.revision > last) {
      kept.push({ revision: current.revision, source: current.source, createdAt: current.updatedAt, reading: current });
    }
    return kept;
  });
}

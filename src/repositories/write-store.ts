// The write path's two round trips: read the periods a change can reach, and store every
// changed row. Both move data as one JSON document per statement (json_to_recordset), which
// costs far less than binding a dozen array parameters row by row.
import { sql } from 'kysely';
import type { TargetSpec } from '../domain/types.js';
import type { ReadingRow, TargetRow } from '../db/types.js';
import { DEPENDENT_SPAN } from '../domain/derive.js';
import { fromReadingRow, targetSpecOf, type Executor, type StoredReading, type StoredTarget } from './readings.js';

export interface Window { measureId: number; lo: number; hi: number }

const READING_COLUMNS = `measure_id int, period_key int, value numeric, numerator numeric, denominator numeric, status text,
  commentary text, override_rag text, override_reason text, computed_rag text, rag text, rag_reason text, variance numeric,
  trend text, trend_period_key int, trend_value numeric, revision int, source text, updated_at timestamptz`;

interface ReadingJson {
  measure_id: number; period_key: number; value: string | null; numerator: string | null; denominator: string | null;
  status: string | null; commentary: string | null; override_rag: string | null; override_reason: string | null;
  computed_rag: string | null; rag: string | null; rag_reason: string | null; variance: string | null; trend: string | null;
  trend_period_key: number | null; trend_value: string | null; revision: number; source: string; updated_at: string;
}

const toJson = (r: StoredReading): ReadingJson => ({
  measure_id: r.measureId, period_key: r.key, value: r.value, numerator: r.numerator, denominator: r.denominator,
  status: r.status, commentary: r.commentary, override_rag: r.overrideRag, override_reason: r.overrideReason,
  computed_rag: r.computedRag, rag: r.rag, rag_reason: r.ragReason, variance: r.variance, trend: r.trend,
  trend_period_key: r.trendPeriodKey, trend_value: r.trendValue, revision: r.revision, source: r.source,
  updated_at: r.updatedAt.toISOString(),
});

/**
 * What a write needs to see, per measure window [lo, hi] (the written periods and the year
 * after them): the full readings and targets inside it, and only the values of the year
 * before it, which the rules compare with. Three index range scans (LATERAL ... OFFSET 0
 * keeps each window on the primary key; flattened, the planner would hash-join the whole table).
 */
export async function loadWindows(db: Executor, windows: Window[]): Promise<{
  readings: StoredReading[];
  earlierValues: { measureId: number; key: number; value: string | null }[];
  targets: (StoredTarget & { measureId: number; key: number })[];
}> {
  if (!windows.length) return { readings: [], earlierValues: [], targets: [] };
  const w = sql`json_to_recordset(${JSON.stringify(windows)}::json) as w("measureId" int, lo int, hi int)`;
  // One after another: they share the transaction's connection, which runs one query at a time.
  const full = await sql<ReadingRow>`select r.* from ${w} cross join lateral (select * from readings r
      where r.measure_id = w."measureId" and r.period_key between w.lo and w.hi offset 0) r`.execute(db);
  const earlier = await sql<{ measure_id: number; period_key: number; value: string | null }>`select r.measure_id, r.period_key, r.value
      from ${w} cross join lateral (select measure_id, period_key, value from readings r
      where r.measure_id = w."measureId" and r.period_key between w.lo - ${DEPENDENT_SPAN} and w.lo - 1 offset 0) r`.execute(db);
  const targets = await sql<TargetRow>`select t.* from ${w} cross join lateral (select * from targets t
      where t.measure_id = w."measureId" and t.period_key between w.lo and w.hi offset 0) t`.execute(db);
  return {
    readings: full.rows.map(fromReadingRow),
    earlierValues: earlier.rows.map((r) => ({ measureId: r.measure_id, key: r.period_key, value: r.value })),
    targets: targets.rows.map((t) => ({ measureId: t.measure_id, key: t.period_key, spec: targetSpecOf(t), reason: t.reason, revision: t.revision })),
  };
}

export interface TargetWrite { measureId: number; key: number; spec: TargetSpec; reason: string | null; revision: number; source: string; at: Date }
export interface RevisionWrite { measureId: number; key: number; revision: number; snapshot: unknown; source: string; at: Date }

export interface ChangeSet {
  targets: TargetWrite[];
  targetDeletes: { measureId: number; key: number }[];
  targetRevisions: RevisionWrite[];
  readings: StoredReading[];
  readingRevisions: RevisionWrite[];
}

const revisionJson = (r: RevisionWrite) => ({
  measure_id: r.measureId, period_key: r.key, revision: r.revision, snapshot: r.snapshot, source: r.source, created_at: r.at.toISOString(),
});

/** Every changed row of one write, in one statement (data-modifying CTEs all run once). */
export async function persistChanges(db: Executor, c: ChangeSet): Promise<void> {
  if (!c.targets.length && !c.targetDeletes.length && !c.readings.length) return;
  // One JSON parameter per table: json_to_recordset parses each once (a shared document
  // would be parsed again by every `->` that picks a part of it).
  const j = (rows: unknown[]) => JSON.stringify(rows);
  const targets = j(c.targets.map((t) => ({
    measure_id: t.measureId, period_key: t.key, kind: t.spec.kind,
    value: t.spec.kind === 'value' ? t.spec.value : null, min: t.spec.kind === 'band' ? t.spec.min : null,
    max: t.spec.kind === 'band' ? t.spec.max : null, rule: t.spec.kind === 'rule' ? t.spec.rule : null,
    reason: t.reason, revision: t.revision, source: t.source, updated_at: t.at.toISOString(),
  })));
  const targetDeletes = j(c.targetDeletes.map((d) => ({ measure_id: d.measureId, period_key: d.key })));
  const targetRevisions = j(c.targetRevisions.map(revisionJson));
  const readings = j(c.readings.map(toJson));
  const readingRevisions = j(c.readingRevisions.map(revisionJson));
  await sql`
    with tu as (
      insert into targets (measure_id, period_key, kind, value, min, max, rule, reason, revision, source, updated_at)
      select x.* from json_to_recordset(${targets}::json) as x(measure_id int, period_key int, kind text, value numeric,
        min numeric, max numeric, rule text, reason text, revision int, source text, updated_at timestamptz)
      on conflict (measure_id, period_key) do update set kind = excluded.kind, value = excluded.value, min = excluded.min,
        max = excluded.max, rule = excluded.rule, reason = excluded.reason, revision = excluded.revision,
        source = excluded.source, updated_at = excluded.updated_at),
    td as (
      delete from targets t using json_to_recordset(${targetDeletes}::json) as d(measure_id int, period_key int)
      where t.measure_id = d.measure_id and t.period_key = d.period_key),
    tr as (
      insert into target_revisions (measure_id, period_key, revision, snapshot, source, created_at)
      select x.* from json_to_recordset(${targetRevisions}::json) as x(measure_id int, period_key int, revision int,
        snapshot jsonb, source text, created_at timestamptz)),
    ru as (
      insert into readings (measure_id, period_key, value, numerator, denominator, status, commentary, override_rag,
        override_reason, computed_rag, rag, rag_reason, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
      select x.* from json_to_recordset(${readings}::json) as x(${sql.raw(READING_COLUMNS)})
      on conflict (measure_id, period_key) do update set
        value = excluded.value, numerator = excluded.numerator, denominator = excluded.denominator, status = excluded.status,
        commentary = excluded.commentary, override_rag = excluded.override_rag, override_reason = excluded.override_reason,
        computed_rag = excluded.computed_rag, rag = excluded.rag, rag_reason = excluded.rag_reason, variance = excluded.variance,
        trend = excluded.trend, trend_period_key = excluded.trend_period_key, trend_value = excluded.trend_value,
        revision = excluded.revision, source = excluded.source, updated_at = excluded.updated_at),
    rr as (
      insert into reading_revisions (measure_id, period_key, revision, snapshot, source, created_at)
      select x.* from json_to_recordset(${readingRevisions}::json) as x(measure_id int, period_key int, revision int,
        snapshot jsonb, source text, created_at timestamptz))
    select 1`.execute(db);
}

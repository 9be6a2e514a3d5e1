// Synthetic scorecards made in SQL (generate_series), with the derived columns filled by SQL
// that approximates the rules in src/domain (RAG bands on the variance against the target,
// trend against the basis period by polarity), so rollups and reads have real work to do.
// Deterministic: every "random" choice is a hash of the ids, so two runs make the same data.
import pg from 'pg';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { withClient } from './pg.js';

export interface ScaleSpec {
  name: string;
  /** Priority codes are `${prefix}001`...; measure codes `${priority}-001`... */
  prefix: string;
  priorities: number;
  measuresPerPriority: number;
  /** Quarters of history per measure, from startYear-Q1 on. */
  quarters: number;
  startYear: number;
  actionsPerPriority: number;
  /** Targets are also made for this many quarters after the history (the write benchmark's periods). */
  futureTargetQuarters: number;
}

export const keyOfQuarter = (startYear: number, qi: number) => (startYear + Math.floor(qi / 4)) * 10 + (qi % 4) + 1;
export const periodOfQuarter = (startYear: number, qi: number) => {
  const y = startYear + Math.floor(qi / 4);
  return `${y}-${String((y + 1) % 100).padStart(2, '0')}-Q${(qi % 4) + 1}`;
};

// h(x) in 0..99: a deterministic "dice" from an integer expression.
const h = (expr: string, mod = 100) => `(abs(hashint8((${expr})::bigint)) % ${mod})`;

/** Generated measures' attributes; the rest take their column defaults. */
const MEASURES_SQL = (s: ScaleSpec) => `
insert into measures (code, priority_id, title, polarity, frequency, reporting_quarter, trend_basis, headline, management_info_only, unit)
select format('%s-%s', p.code, lpad(i::text, 3, '0')), p.id, format('Generated measure %s of %s', i, p.code),
  case when ${h('p.id * 1009 + i * 7 + 1')} < 55 then 'higher' when ${h('p.id * 1009 + i * 7 + 1')} < 95 then 'lower' else 'range' end,
  case when ${h('p.id * 1009 + i * 7 + 2')} < 85 then 'quarterly' when ${h('p.id * 1009 + i * 7 + 2')} < 90 then 'biannual' else 'annual' end,
  case when ${h('p.id * 1009 + i * 7 + 2')} >= 90 then 4 end,
  case when ${h('p.id * 1009 + i * 7 + 3')} < 90 then 'previous_period' else 'same_period_last_year' end,
  ${h('p.id * 1009 + i * 7 + 4')} < 15,
  ${h('p.id * 1009 + i * 7 + 5')} < 3,
  'percent'
from priorities p cross join generate_series(1, ${s.measuresPerPriority}) i
order by p.id, i`;

/**
 * One row per measure per quarter, inputs and derived values, for the measures with ids in
 * [lo, hi]. Quarters a measure does not report in are `not_due` readings, as in the report.
 */
function readingsSql(s: ScaleSpec, lo: number, hi: number): string {
  return `
with m as (
  select id, polarity, frequency, coalesce(reporting_quarter, 4) as rq, trend_basis, management_info_only as mi,
    20 + ${h('id * 13 + 1', 500)} as base, ${h('id * 13 + 2')} >= 4 as has_target
  from measures where id between ${lo} and ${hi}
), q as (
  select g as qi, (${s.startYear} + g / 4) * 10 + (g % 4) + 1 as key, (g % 4) + 1 as quarter
  from generate_series(0, ${s.quarters - 1}) g
), raw as (
  select m.*, q.qi, q.key,
    case when (m.frequency = 'annual' and q.quarter <> m.rq) or (m.frequency = 'biannual' and q.quarter not in (2, 4)) then 'not_due'
         when ${h('m.id * 131 + q.qi')} < 3 then 'not_available' end as status,
    round(m.base * (1 + 0.02 * (q.qi / 4)), 2) as t,
    round(m.base * (0.85 + ${h('m.id * 977 + q.qi * 13 + 5', 3000)} / 10000.0), 2) as v0,
    case when m.trend_basis = 'same_period_last_year' or m.frequency = 'annual' then 4 when m.frequency = 'biannual' then 2 else 1 end as bo
  from m cross join q
), v as (
  select *, case when status is null then v0 end as value from raw
), w as (
  select *, lag(value, bo) over win as prev, lag(key, bo) over win as prev_key
  from v window win as (partition by id order by key)
), d as (
  select *,
    case when status is not null or mi or not has_target then null
         when polarity = 'higher' then round((value - t) / t, 12)
         when polarity = 'lower' then round((t - value) / t, 12)
         when value between t * 0.9 and t * 1.1 then 0
         else -round(least(abs(value - t * 0.9), abs(value - t * 1.1)) / (t * 0.2), 12) end as variance,
    case when value is null or prev is null then null
         when polarity = 'range' and not has_target then null
         when polarity = 'higher' then sign(value - prev)
         when polarity = 'lower' then sign(prev - value)
         else sign(greatest(t * 0.9 - prev, prev - t * 1.1, 0) - greatest(t * 0.9 - value, value - t * 1.1, 0)) end as dir
  from w
), r as (
  select *,
    case when variance is null then null when variance >= 0.05 then 'HG' when variance >= 0 then 'LG'
         when variance >= -0.05 then 'A' when variance >= -0.10 then 'LR' else 'HR' end as computed_rag,
    case when ${h('id * 31 + qi + 7')} = 0 and variance is not null then 'A' end as override_rag
  from d
)
insert into readings (measure_id, period_key, value, status, commentary, override_rag, override_reason, computed_rag, rag,
  rag_reason, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
select id, key, value, status,
  case when ${h('id * 17 + qi')} < 10 then 'Generated commentary: performance is tracked against the quarterly profile.' end,
  override_rag, case when override_rag is not null then 'generated override' end,
  computed_rag, coalesce(override_rag, computed_rag),
  case when status is not null then 'status_reported' when mi then 'management_info_only' when not has_target then 'no_target' end,
  variance,
  case dir when 1 then 'improving' when -1 then 'declining' when 0 then 'no_change' end,
  case when dir is not null then prev_key end, case when dir is not null then prev end,
  1, 'bench-generator', now()
from r`;
}

/** Targets for every history quarter plus the future ones the write benchmark fills. */
function targetsSql(s: ScaleSpec, lo: number, hi: number): string {
  return `
insert into targets (measure_id, period_key, kind, value, min, max, revision, source)
select m.id, (${s.startYear} + g / 4) * 10 + (g % 4) + 1,
  case when m.polarity = 'range' then 'band' else 'value' end,
  case when m.polarity <> 'range' then round(b.base * (1 + 0.02 * (g / 4)), 2) end,
  case when m.polarity = 'range' then round(b.base * (1 + 0.02 * (g / 4)), 2) * 0.9 end,
  case when m.polarity = 'range' then round(b.base * (1 + 0.02 * (g / 4)), 2) * 1.1 end,
  1, 'bench-generator'
from measures m
cross join lateral (select 20 + ${h('m.id * 13 + 1', 500)} as base, ${h('m.id * 13 + 2')} >= 4 as has_target) b
cross join generate_series(0, ${s.quarters + s.futureTargetQuarters - 1}) g
where m.id between ${lo} and ${hi} and b.has_target`;
}

const ACTIONS_SQL = (s: ScaleSpec) => `
insert into actions (code, priority_id, objective, title)
select format('%s-A%s', p.code, lpad(i::text, 2, '0')), p.id, 'Generated objective', format('Generated action %s', i)
from priorities p cross join generate_series(1, ${s.actionsPerPriority}) i order by p.id, i;
insert into action_updates (action_id, period_key, status, text, revision, source)
select a.id, (${s.startYear} + g / 4) * 10 + (g % 4) + 1,
  (array['green','green','green','amber','amber','red','complete','no_update','not_started','closed'])[1 + ${h('a.id * 53 + g', 10)}],
  'Generated update', 1, 'bench-generator'
from actions a cross join generate_series(0, ${s.quarters - 1}) g`;

interface Saved { table: string; name: string; def: string; kind: 'constraint' | 'index' }

/** Bulk loads are much faster without indexes and FK checks; they are rebuilt after. */
async function dropIndexes(c: pg.Client, tables: string[]): Promise<Saved[]> {
  const saved: Saved[] = [];
  for (const table of tables) {
    const cons = await c.query(
      `select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = $1::regclass and contype in ('p','f','u') order by contype = 'p' desc`,
      [table],
    );
    for (const r of cons.rows) saved.push({ table, name: r.conname, def: r.def, kind: 'constraint' });
    const idx = await c.query(
      `select indexname, indexdef from pg_indexes where tablename = $1 and indexname not in (select conname from pg_constraint where conrelid = $1::regclass)`,
      [table],
    );
    for (const r of idx.rows) saved.push({ table, name: r.indexname, def: r.indexdef, kind: 'index' });
  }
  for (const s of [...saved].reverse()) {
    await c.query(s.kind === 'constraint' ? `alter table ${s.table} drop constraint ${s.name}` : `drop index ${s.name}`);
  }
  return saved;
}

async function restoreIndexes(url: string, saved: Saved[]): Promise<void> {
  // Primary keys first (foreign keys need them), then the rest two at a time (2 cores).
  const run = (s: Saved) => withClient(url, async (c) => {
    await c.query(`set maintenance_work_mem = '512MB'`);
    await c.query(s.kind === 'constraint' ? `alter table ${s.table} add constraint ${s.name} ${s.def}` : s.def);
  });
  for (const s of saved.filter((x) => x.def.startsWith('PRIMARY KEY'))) await run(s);
  const rest = saved.filter((x) => !x.def.startsWith('PRIMARY KEY'));
  await Promise.all([0, 1].map(async (w) => {
    for (let i = w; i < rest.length; i += 2) await run(rest[i]);
  }));
}

export interface GenerateResult { readings: number; targets: number; measures: number; seconds: number; steps: Record<string, number> }

/** Migrates the (empty) database at url and fills it to spec. */
export async function generate(url: string, s: ScaleSpec, log: (msg: string) => void = () => undefined): Promise<GenerateResult> {
  const started = performance.now();
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await fn();
    steps[name] = Math.round((performance.now() - t) / 100) / 10;
    log(`  ${s.name}: ${name} ${steps[name]} s`);
    return out;
  };
  const { db } = createDatabase({ url, poolMax: 1 });
  await migrateToLatest(db);
  await db.destroy();

  let idRange = { lo: 0, hi: 0 };
  const saved = await withClient(url, async (c) => {
    await step('priorities+measures', async () => {
      await c.query(`insert into priorities (code, title, position)
        select format('${s.prefix}%s', lpad(p::text, 3, '0')), format('Generated council %s', p), p from generate_series(1, ${s.priorities}) p`);
      await c.query(MEASURES_SQL(s));
      await c.query(ACTIONS_SQL(s));
    });
    const r = await c.query('select min(id)::int as lo, max(id)::int as hi from measures');
    idRange = r.rows[0];
    return dropIndexes(c, ['readings', 'targets']);
  });

  // Chunks of measures over two connections: the window function sorts one chunk at a time.
  const chunk = Math.max(500, Math.ceil((idRange.hi - idRange.lo + 1) / 40));
  const ranges: { lo: number; hi: number }[] = [];
  for (let lo = idRange.lo; lo <= idRange.hi; lo += chunk) ranges.push({ lo, hi: Math.min(idRange.hi, lo + chunk - 1) });
  const fill = (sqlOf: (lo: number, hi: number) => string) => Promise.all([0, 1].map((w) => withClient(url, async (c) => {
    await c.query(`set work_mem = '128MB'`);
    await c.query(`set synchronous_commit = off`);
    for (let i = w; i < ranges.length; i += 2) await c.query(sqlOf(ranges[i].lo, ranges[i].hi));
  })));
  await step('readings', () => fill((lo, hi) => readingsSql(s, lo, hi)));
  await step('targets', () => fill((lo, hi) => targetsSql(s, lo, hi)));
  await step('indexes', () => restoreIndexes(url, saved));
  await step('vacuum analyze', () => withClient(url, async (c) => {
    await c.query('vacuum (analyze) readings');
    await c.query('vacuum (analyze) targets');
    await c.query('analyze');
  }));
  const counts = await withClient(url, async (c) => (await c.query(
    `select (select count(*) from readings)::int as readings, (select count(*) from targets)::int as targets, (select count(*) from measures)::int as measures`,
  )).rows[0]);
  return { ...counts, seconds: Math.round((performance.now() - started) / 100) / 10, steps };
}

/**
 * How far the generated derived columns agree with the service's own rules (deriveReading),
 * over every reading of a spread of measures: the generator only approximates them.
 */
export async function checkDerivation(url: string, measures = 300): Promise<{ readings: number; ragAgree: number; trendAgree: number }> {
  const { deriveReading } = await import('../../src/domain/derive.js');
  const { rulesOf } = await import('../../src/services/scorecard-writer.js');
  const { targetSpecOf } = await import('../../src/repositories/readings.js');
  return withClient(url, async (c) => {
    const n = (await c.query('select count(*)::int as n from measures')).rows[0].n as number;
    const step = Math.max(1, Math.floor(n / measures));
    const ms = (await c.query('select * from measures where id % $1 = 0', [step])).rows;
    const ids = ms.map((m) => m.id);
    const rs = (await c.query('select * from readings where measure_id = any($1) order by measure_id, period_key', [ids])).rows;
    const ts = (await c.query('select * from targets where measure_id = any($1)', [ids])).rows;
    const tOf = new Map(ts.map((t) => [`${t.measure_id}:${t.period_key}`, targetSpecOf(t)]));
    const vOf = new Map(rs.map((r) => [`${r.measure_id}:${r.period_key}`, r.value as string | null]));
    const mOf = new Map(ms.map((m) => [m.id, m]));
    let rag = 0;
    let trend = 0;
    for (const r of rs) {
      const d = deriveReading(rulesOf(mOf.get(r.measure_id)), r.period_key, { value: r.value, status: r.status, overrideRag: r.override_rag }, {
        target: (k) => tOf.get(`${r.measure_id}:${k}`) ?? null,
        value: (k) => vOf.get(`${r.measure_id}:${k}`) ?? null,
      });
      if (d.computedRag === r.computed_rag) rag++;
      if (d.trend === r.trend) trend++;
    }
    return { readings: rs.length, ragAgree: rag / Math.max(1, rs.length), trendAgree: trend / Math.max(1, rs.length) };
  });
}

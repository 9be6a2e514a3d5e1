// Set-based reads behind a rollup. One statement counts everything for every priority at
// once (grouped by priority, one row each); one lists the headline measures; two more list
// the working when asked. The cost is the same handful of statements whatever the size.
import { sql, type RawBuilder } from 'kysely';
import { formatPeriod, periodKey, type Period } from '../domain/periods.js';
import { ACTION_STATUSES, type ActionStatus, type Rag, type Trend } from '../domain/types.js';
import type { Executor } from './readings.js';

/** Period keys: year * 10 + quarter, or + 9 for the whole year. */
const keyRange = (p: Period) => ({ key: periodKey(p), lo: p.year * 10 + 1, hi: p.year * 10 + 9 });

export interface Scope {
  period: Period;
  priorityId: number | null;
  /** `frequency:reportingQuarter` (0 for none) of the measures due in the period, from isDue. */
  dueKeys: string[];
}

const ofPriority = (table: 'measures' | 'actions', s: Scope) =>
  s.priorityId === null ? sql`` : sql`and ${sql.ref(table === 'measures' ? 'measure_id' : 'action_id')} in (select id from ${sql.table(table)} where priority_id = ${s.priorityId})`;

/**
 * The reading each measure contributes. A quarter: its reading for that quarter. A year: the
 * reading stored for the year itself if the measure has one, else its latest reading within
 * the year's quarters that has a value or a rating (a status-only reading such as "not due"
 * only when there is nothing better).
 */
function chosenReadings(s: Scope): RawBuilder<unknown> {
  const { key, lo, hi } = keyRange(s.period);
  if (s.period.kind === 'quarter') {
    return sql`select measure_id, period_key, status, rag, rag_reason, trend from readings where period_key = ${key} ${ofPriority('measures', s)}`;
  }
  return sql`select distinct on (measure_id) measure_id, period_key, status, rag, rag_reason, trend from readings
    where period_key between ${lo} and ${hi} ${ofPriority('measures', s)}
    order by measure_id, (period_key = ${key}) desc, (value is null and rag is null), period_key desc`;
}

/** Each action's update for the period; for a year, its latest update within the year. */
function chosenUpdates(s: Scope): RawBuilder<unknown> {
  const { key, lo, hi } = keyRange(s.period);
  if (s.period.kind === 'quarter') return sql`select action_id, period_key, status from action_updates where period_key = ${key} ${ofPriority('actions', s)}`;
  return sql`select distinct on (action_id) action_id, period_key, status from action_updates
    where period_key between ${lo} and ${hi} ${ofPriority('actions', s)} order by action_id, period_key desc`;
}

/** Measures with two flags the figures need: introduced after the period's year; due in the period. */
const flaggedMeasures = (s: Scope) => sql`
  select m.*, coalesce(m.new_in_year > ${formatPeriod({ kind: 'year', year: s.period.year })}, false) as later,
    coalesce(m.new_in_year <= ${formatPeriod({ kind: 'year', year: s.period.year })}, true)
      and (m.frequency || ':' || coalesce(m.reporting_quarter, 0)) = any(${s.dueKeys}::text[]) as due
  from measures m ${s.priorityId === null ? sql`` : sql`where m.priority_id = ${s.priorityId}`}`;

// Why a measure is left out: no reading (or none yet: introduced later), its reading's status, or the rules' reason.
const REASON = sql`case when c.measure_id is null then case when m.later then 'introduced_later' else 'no_reading' end
  when c.rag is not null then null when c.status is not null then c.status else c.rag_reason end`;

/**
 * Measures of one priority sharing (reason, due, received), and how many: of each rating,
 * of each trend. The rest of the group, n minus the rated, is left out for `reason`.
 */
export interface MeasureGroup extends Record<Rag, number> {
  n: number; reason: string | null; due: boolean; received: boolean;
  improving: number; declining: number; no_change: number;
  /** Codes of the due measures with no reading. */
  missing: string[] | null;
}
export type ActionTotals = Record<ActionStatus | 'total' | 'without_update', number>;
export interface PriorityTotals {
  id: number; code: string; title: string; position: number;
  /** null when the priority has no measures (or no actions). */
  m: MeasureGroup[] | null; a: ActionTotals | null;
}

/** Each action's counts by status per priority: a few hundred actions, counted directly. */
const actionTotals = (s: Scope) => sql`
  select a.priority_id, count(*)::int as total,
    ${sql.join(ACTION_STATUSES.map((v) => sql`count(*) filter (where u.status = ${v})::int as ${sql.ref(v)}`))},
    count(*) filter (where u.action_id is null)::int as without_update
  from actions a left join (${chosenUpdates(s)}) u on u.action_id = a.id
  ${s.priorityId === null ? sql`` : sql`where a.priority_id = ${s.priorityId}`}
  group by a.priority_id`;

const RAG_COLUMNS = ['HG', 'LG', 'A', 'LR', 'HR'] as const;
const TREND_COLUMNS = ['improving', 'declining', 'no_change'] as const;

/** Measure groups from the readings themselves: a year (whose chosen reading depends on several readings). */
const scannedGroups = (s: Scope) => sql`
  with c as (${chosenReadings(s)})
  select m.priority_id, ${REASON} as reason, m.due, c.measure_id is not null as received, count(*)::int as n,
    ${sql.join(RAG_COLUMNS.map((v) => sql`count(*) filter (where c.rag = ${v})::int as ${sql.ref(v)}`))},
    ${sql.join(TREND_COLUMNS.map((v) => sql`count(*) filter (where c.trend = ${v})::int as ${sql.ref(v)}`))},
    array_agg(m.code) filter (where m.due and c.measure_id is null) as missing
  from (${flaggedMeasures(s)}) m left join c on c.measure_id = m.id
  group by 1, 2, 3, 4`;

/**
 * Measure groups of a quarter from the summaries kept on write (migration rollup_counts): the
 * period's reading counts per (priority, measure attributes, reason), and the measures per
 * (priority, attributes), whose difference is the measures with no reading. Only due groups
 * with measures missing look at measures themselves, for the missing codes. Reads a few
 * rows per priority, whatever the number of readings.
 */
function summaryGroups(s: Scope) {
  const key = periodKey(s.period);
  const year = formatPeriod({ kind: 'year', year: s.period.year });
  const mine = (alias: string) => (s.priorityId === null ? sql`` : sql`and ${sql.ref(`${alias}.priority_id`)} = ${s.priorityId}`);
  const due = (alias: string) => sql`((${sql.ref(`${alias}.new_in_year`)} = '' or ${sql.ref(`${alias}.new_in_year`)} <= ${year})
    and (${sql.ref(`${alias}.frequency`)} || ':' || ${sql.ref(`${alias}.reporting_quarter`)}) = any(${s.dueKeys}::text[]))`;
  const zeros = sql.join([...RAG_COLUMNS, ...TREND_COLUMNS].map((v) => sql`0 as ${sql.ref(v)}`));
  return sql`
    with rc as (
      select c.*, ${due('c')} as due from rollup_counts c where c.period_key = ${key} and c.n <> 0 ${mine('c')}
    ),
    absent as (
      select g.priority_id, g.frequency, g.reporting_quarter, g.new_in_year, g.n - coalesce(r.n, 0) as n, ${due('g')} as due,
        (g.new_in_year <> '' and g.new_in_year > ${year}) as later
      from rollup_measure_groups g
      left join (select priority_id, frequency, reporting_quarter, new_in_year, sum(n) as n from rc group by 1, 2, 3, 4) r
        using (priority_id, frequency, reporting_quarter, new_in_year)
      where g.n <> 0 ${mine('g')}
    )
    select priority_id, nullif(reason, '') as reason, due, true as received, sum(n)::int as n,
      sum(hg)::int as "HG", sum(lg)::int as "LG", sum(a)::int as "A", sum(lr)::int as "LR", sum(hr)::int as "HR",
      sum(improving)::int as improving, sum(declining)::int as declining, sum(no_change)::int as no_change, null::text[] as missing
    from rc group by 1, 2, 3
    union all
    select a.priority_id, case when a.later then 'introduced_later' else 'no_reading' end, a.due, false, a.n::int, ${zeros}, x.missing
    from absent a
    left join lateral (
      select array_agg(m.code) as missing from measures m
      where a.due and m.priority_id = a.priority_id and m.frequency = a.frequency
        and coalesce(m.reporting_quarter, 0) = a.reporting_quarter and coalesce(m.new_in_year, '') = a.new_in_year
        and not exists (select 1 from readings r where r.measure_id = m.id and r.period_key = ${key})
    ) x on true
    where a.n > 0`;
}

/**
 * Every figure of every priority (or one), in report order: one statement, one row per
 * priority. Measures come in groups sharing (reason, due, received), a few per priority,
 * which the builder folds into counts (groups may repeat; they add up).
 */
export async function priorityTotals(db: Executor, s: Scope, code: string | null): Promise<PriorityTotals[]> {
  const r = await sql<PriorityTotals>`
    with mg as (${s.period.kind === 'quarter' ? summaryGroups(s) : scannedGroups(s)}),
    mm as (
      select priority_id, json_agg(json_build_object('n', n, 'reason', reason, 'due', due, 'received', received, 'missing', missing,
        'HG', "HG", 'LG', "LG", 'A', "A", 'LR', "LR", 'HR', "HR", 'improving', improving, 'declining', declining, 'no_change', no_change)) as groups
      from mg group by priority_id
    ),
    aa as (${actionTotals(s)})
    select p.id, p.code, p.title, p.position, mm.groups as m, to_jsonb(aa) as a
    from priorities p left join mm on mm.priority_id = p.id left join aa on aa.priority_id = p.id
    ${code === null ? sql`` : sql`where p.code = ${code}`}
    order by p.position`.execute(db);
  return r.rows;
}

export async function priorityIdOf(db: Executor, code: string): Promise<number | null> {
  const r = await db.selectFrom('priorities').select('id').where('code', '=', code).executeTakeFirst();
  return r?.id ?? null;
}

export interface HeadlineRow { priority_id: number; code: string; title: string; rag: Rag | null; latest_rag: Rag | null; latest_key: number | null }

/**
 * Headline measures with this period's rating and their latest rating at or before it. The
 * look-back (one index probe per measure) runs only when the period's own reading is unrated.
 */
export async function headlineRows(db: Executor, s: Scope): Promise<HeadlineRow[]> {
  // A quarter: one primary-key probe per headline measure, not a scan of the period's readings.
  const chosen = s.period.kind === 'quarter'
    ? sql`left join readings c on c.measure_id = m.id and c.period_key = ${periodKey(s.period)}`
    : sql`left join (${chosenReadings(s)}) c on c.measure_id = m.id`;
  const r = await sql<HeadlineRow>`
    select m.priority_id, m.code, m.title, c.rag,
      coalesce(c.rag, lr.rag) as latest_rag, case when c.rag is not null then c.period_key else lr.period_key end as latest_key
    from measures m
    ${chosen}
    left join lateral (
      select r.rag, r.period_key from readings r
      where c.rag is null and r.measure_id = m.id and r.rag is not null and r.period_key <= ${periodKey(s.period)}
      order by r.period_key desc limit 1
    ) lr on true
    where m.headline ${s.priorityId === null ? sql`` : sql`and m.priority_id = ${s.priorityId}`}
    order by m.priority_id, m.id`.execute(db);
  return r.rows;
}

export interface WorkingMeasureRow {
  priority_id: number; code: string; due: boolean;
  period_key: number | null; rag: Rag | null; reason: string | null; trend: Trend | null;
}

export async function workingMeasures(db: Executor, s: Scope): Promise<WorkingMeasureRow[]> {
  const r = await sql<WorkingMeasureRow>`
    with c as (${chosenReadings(s)})
    select m.priority_id, m.code, m.due, c.period_key, c.rag, ${REASON} as reason, c.trend
    from (${flaggedMeasures(s)}) m left join c on c.measure_id = m.id
    order by m.priority_id, m.id`.execute(db);
  return r.rows;
}

export interface WorkingActionRow { priority_id: number; code: string; period_key: number | null; status: ActionStatus | null }

export async function workingActions(db: Executor, s: Scope): Promise<WorkingActionRow[]> {
  const r = await sql<WorkingActionRow>`
    with u as (${chosenUpdates(s)})
    select a.priority_id, a.code, u.period_key, u.status
    from actions a left join u on u.action_id = a.id
    ${s.priorityId === null ? sql`` : sql`where a.priority_id = ${s.priorityId}`}
    order by a.priority_id, a.id`.execute(db);
  return r.rows;
}

import { sql, type Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
//
// A quarter's rollup used to join every reading of the period with its measure: 200,000
// readings per period at national scale, seconds per request. Two summaries, kept true by
// statement-level triggers whatever writes the data (the service, a migration, SQL by hand):
//
// - rollup_counts: per (period, priority, the measure's frequency, reporting quarter (0 =
//   none) and new_in_year ('' = none), which decide "due" and "introduced later" for a
//   period, and the reason a reading is unrated ('' = rated): its status, else its
//   rag_reason), how many readings, how many of each rating, and of each trend.
// - rollup_measure_groups: measures per (priority, frequency, reporting quarter, new_in_year),
//   so measures with no reading in a period are counted without scanning them.
//
// The rollup needs only these marginal counts, so a 1,000-reading batch touches a row or
// two per priority, not one per (rating, trend) pair. Each trigger turns its transition
// tables into signed deltas (+1 new row, -1 old row), nets them per key (an update that
// changes none of these columns writes nothing) and upserts them in key order, so
// concurrent writers lock summary rows in the same order. Rows whose counts fall to 0 stay
// (the key space is small); readers skip them. PostgreSQL allows transition tables only on
// single-event triggers: one trigger per event.

const READING_KEY = 'period_key, priority_id, frequency, reporting_quarter, new_in_year, reason';
const COUNTS = ['n', 'hg', 'lg', 'a', 'lr', 'hr', 'improving', 'declining', 'no_change'];
const GROUP_KEY = 'priority_id, frequency, reporting_quarter, new_in_year';

/** Signed reading rows of one transition table (or table), with the reason an unrated reading is left out. */
const readingDelta = (table: string, sign: 1 | -1, alias = 'r') => `
  select ${alias}.measure_id, ${alias}.period_key,
    coalesce(case when ${alias}.rag is not null then null when ${alias}.status is not null then ${alias}.status else ${alias}.rag_reason end, '') as reason,
    ${sign} as n,
    case ${alias}.rag when 'HG' then ${sign} else 0 end as hg, case ${alias}.rag when 'LG' then ${sign} else 0 end as lg,
    case ${alias}.rag when 'A' then ${sign} else 0 end as a, case ${alias}.rag when 'LR' then ${sign} else 0 end as lr,
    case ${alias}.rag when 'HR' then ${sign} else 0 end as hr,
    case ${alias}.trend when 'improving' then ${sign} else 0 end as improving, case ${alias}.trend when 'declining' then ${sign} else 0 end as declining,
    case ${alias}.trend when 'no_change' then ${sign} else 0 end as no_change
  from ${table} ${alias}`;

/** Upserts netted reading deltas; `delta` yields the key columns and the signed counts. */
const upsertReadings = (delta: string) => `
  insert into rollup_counts as s (${READING_KEY}, ${COUNTS.join(', ')})
  select * from (
    select ${READING_KEY}, ${COUNTS.map((c) => `sum(${c})::int as ${c}`).join(', ')} from (${delta}) d group by ${READING_KEY}
  ) g where (${COUNTS.join(', ')}) <> (${COUNTS.map(() => '0').join(', ')})
  order by ${READING_KEY}
  on conflict (${READING_KEY}) do update set ${COUNTS.map((c) => `${c} = s.${c} + excluded.${c}`).join(', ')}`;

/**
 * Reading deltas attributed through the measure as it is now: one primary-key probe per
 * reading (`offset 0` keeps the lateral subquery a parameterised index scan, so a cached plan
 * cannot turn into a scan of every measure at national scale).
 */
const throughMeasures = (parts: string[]) => upsertReadings(`
  select d.period_key, m.priority_id, m.frequency, m.reporting_quarter, m.new_in_year, d.reason, ${COUNTS.map((c) => `d.${c}`).join(', ')}
  from (${parts.join(' union all ')}) d
  cross join lateral (
    select priority_id, frequency, coalesce(reporting_quarter, 0)::smallint as reporting_quarter, coalesce(new_in_year, '') as new_in_year
    from measures where id = d.measure_id offset 0
  ) m`);

const REASON_OF = (a: string) => `coalesce(case when ${a}.rag is not null then null when ${a}.status is not null then ${a}.status else ${a}.rag_reason end, '')`;

/**
 * An update's old and new rows paired by key: a reading whose rating, trend and reason did
 * not change costs nothing more; a changed one costs one probe of its measure and leaves
 * its old key for its new one. (Rows whose key itself changed, by SQL by hand, pair with
 * nothing and count as one removal and one addition.)
 */
const updatedDelta = () => `
  with p as (
    select x.*, m.priority_id, m.frequency, m.reporting_quarter, m.new_in_year
    from (
      select coalesce(n.measure_id, o.measure_id) as measure_id, coalesce(n.period_key, o.period_key) as period_key,
        o.measure_id is not null as o_in, ${REASON_OF('o')} as o_reason, o.rag as o_rag, o.trend as o_trend,
        n.measure_id is not null as n_in, ${REASON_OF('n')} as n_reason, n.rag as n_rag, n.trend as n_trend
      from old_rows o full join new_rows n on n.measure_id = o.measure_id and n.period_key = o.period_key
    ) x
    cross join lateral (
      select priority_id, frequency, coalesce(reporting_quarter, 0)::smallint as reporting_quarter, coalesce(new_in_year, '') as new_in_year
      from measures where id = x.measure_id offset 0
    ) m
    where (x.o_in, x.o_reason, x.o_rag, x.o_trend) is distinct from (x.n_in, x.n_reason, x.n_rag, x.n_trend)
  )
  select period_key, priority_id, frequency, reporting_quarter, new_in_year, reason,
    sign as n,
    case rag when 'HG' then sign else 0 end as hg, case rag when 'LG' then sign else 0 end as lg,
    case rag when 'A' then sign else 0 end as a, case rag when 'LR' then sign else 0 end as lr,
    case rag when 'HR' then sign else 0 end as hr,
    case trend when 'improving' then sign else 0 end as improving, case trend when 'declining' then sign else 0 end as declining,
    case trend when 'no_change' then sign else 0 end as no_change
  from (
    select period_key, priority_id, frequency, reporting_quarter, new_in_year, o_reason as reason, -1 as sign, o_rag as rag, o_trend as trend from p where o_in
    union all
    select period_key, priority_id, frequency, reporting_quarter, new_in_year, n_reason, 1, n_rag, n_trend from p where n_in
  ) v`;

/** The backfill: every reading, one hash join. */
const backfill = () => upsertReadings(`
  select d.period_key, m.priority_id, m.frequency, coalesce(m.reporting_quarter, 0)::smallint as reporting_quarter,
    coalesce(m.new_in_year, '') as new_in_year, d.reason, ${COUNTS.map((c) => `d.${c}`).join(', ')}
  from (${readingDelta('readings', 1)}) d join measures m on m.id = d.measure_id`);

const upsertGroups = (delta: string) => `
  insert into rollup_measure_groups as s (${GROUP_KEY}, n)
  select ${GROUP_KEY}, sum(n)::int from (${delta}) d
  group by ${GROUP_KEY} having sum(n) <> 0
  order by ${GROUP_KEY}
  on conflict (${GROUP_KEY}) do update set n = s.n + excluded.n`;

const groupDelta = (table: string, sign: 1 | -1) => `
  select priority_id, frequency, coalesce(reporting_quarter, 0)::smallint as reporting_quarter, coalesce(new_in_year, '') as new_in_year, ${sign} as n from ${table}`;

/** The readings of changed measures, counted under the measure's attributes in `measures` (old or new rows). */
const measureReadings = (measures: string, sign: 1 | -1) => `
  select d.period_key, m.priority_id, m.frequency, coalesce(m.reporting_quarter, 0)::smallint as reporting_quarter,
    coalesce(m.new_in_year, '') as new_in_year, d.reason, ${COUNTS.map((c) => `d.${c}`).join(', ')}
  from (${measures}) m cross join lateral (${readingDelta('readings', sign)} where r.measure_id = m.id offset 0) d`;

const fn = (name: string, body: string) => sql.raw(`
  create or replace function ${name}() returns trigger language plpgsql as $fn$
  begin
    ${body};
    return null;
  end $fn$`);

export async function up(db: Kysely<any>): Promise<void> {
  // No writer may slip between the backfill and the triggers taking over.
  await sql`lock table readings, measures in share row exclusive mode`.execute(db);

  await sql`create table rollup_counts (
    period_key integer not null,
    priority_id integer not null,
    frequency text not null,
    reporting_quarter smallint not null,
    new_in_year text not null,
    reason text not null,
    ${sql.raw(COUNTS.map((c) => `${c} integer not null`).join(',\n    '))},
    primary key (period_key, priority_id, frequency, reporting_quarter, new_in_year, reason)
  )`.execute(db);
  await sql`create table rollup_measure_groups (
    priority_id integer not null,
    frequency text not null,
    reporting_quarter smallint not null,
    new_in_year text not null,
    n integer not null,
    primary key (priority_id, frequency, reporting_quarter, new_in_year)
  )`.execute(db);

  // The headline list of a national quarter (30,000 headline measures): the period's
  // readings with their rating in index order (an index-only scan instead of 30,000 heap
  // probes; same key columns as before, so writes cost the same), and the headline measures
  // without a scan of every measure.
  await sql`drop index if exists readings_period_idx`.execute(db);
  await sql`create index readings_period_idx on readings (period_key, measure_id) include (rag)`.execute(db);
  await sql`create index measures_headline_idx on measures (priority_id, id) where headline`.execute(db);

  // The triggers look up each written reading's measure: an index-only probe with this.
  await sql`create index measures_rollup_attrs_idx on measures (id) include (priority_id, frequency, reporting_quarter, new_in_year)`.execute(db);

  await fn('rollup_readings_inserted', throughMeasures([readingDelta('new_rows', 1)])).execute(db);
  await fn('rollup_readings_updated', upsertReadings(updatedDelta())).execute(db);
  await fn('rollup_readings_deleted', throughMeasures([readingDelta('old_rows', -1)])).execute(db);
  await fn('rollup_readings_truncated', 'delete from rollup_counts').execute(db);
  await fn('rollup_measures_inserted', upsertGroups(groupDelta('new_rows', 1))).execute(db);
  // (A measure with readings cannot be deleted: its readings go first, and leave rollup_counts then.)
  await fn('rollup_measures_deleted', upsertGroups(groupDelta('old_rows', -1))).execute(db);
  await fn('rollup_measures_truncated', 'delete from rollup_counts; delete from rollup_measure_groups').execute(db);
  // A measure moved to another priority, or its frequency, reporting quarter or new_in_year
  // changed: its readings leave their old keys for new ones (tens of readings per measure).
  await fn('rollup_measures_updated', `
    if exists (select 1 from old_rows o join new_rows n using (id)
               where (o.priority_id, o.frequency, o.reporting_quarter, o.new_in_year) is distinct from (n.priority_id, n.frequency, n.reporting_quarter, n.new_in_year)) then
      ${upsertGroups(`${groupDelta('old_rows', -1)} union all ${groupDelta('new_rows', 1)}`)};
      ${upsertReadings(`
        with changed as (
          select o.id from old_rows o join new_rows n using (id)
          where (o.priority_id, o.frequency, o.reporting_quarter, o.new_in_year) is distinct from (n.priority_id, n.frequency, n.reporting_quarter, n.new_in_year)
        )
        ${measureReadings('select o.* from old_rows o join changed using (id)', -1)}
        union all
        ${measureReadings('select n.* from new_rows n join changed using (id)', 1)}`)};
    end if`).execute(db);

  const trigger = (table: string, event: string, name: string, ref: string) => sql.raw(`
    create trigger ${name} after ${event} on ${table} ${ref} for each statement execute function ${name}()`);
  await trigger('readings', 'insert', 'rollup_readings_inserted', 'referencing new table as new_rows').execute(db);
  await trigger('readings', 'update', 'rollup_readings_updated', 'referencing old table as old_rows new table as new_rows').execute(db);
  await trigger('readings', 'delete', 'rollup_readings_deleted', 'referencing old table as old_rows').execute(db);
  await trigger('readings', 'truncate', 'rollup_readings_truncated', '').execute(db);
  await trigger('measures', 'insert', 'rollup_measures_inserted', 'referencing new table as new_rows').execute(db);
  await trigger('measures', 'update', 'rollup_measures_updated', 'referencing old table as old_rows new table as new_rows').execute(db);
  await trigger('measures', 'delete', 'rollup_measures_deleted', 'referencing old table as old_rows').execute(db);
  await trigger('measures', 'truncate', 'rollup_measures_truncated', '').execute(db);

  // Backfill from what is stored.
  await sql.raw(upsertGroups(groupDelta('measures', 1))).execute(db);
  await sql.raw(backfill()).execute(db);
  await sql`analyze rollup_counts`.execute(db);
  await sql`analyze rollup_measure_groups`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, names] of [
    ['readings', ['rollup_readings_inserted', 'rollup_readings_updated', 'rollup_readings_deleted', 'rollup_readings_truncated']],
    ['measures', ['rollup_measures_inserted', 'rollup_measures_updated', 'rollup_measures_deleted', 'rollup_measures_truncated']],
  ] as const) {
    for (const n of names) {
      await sql.raw(`drop trigger if exists ${n} on ${table}`).execute(db);
      await sql.raw(`drop function if exists ${n}()`).execute(db);
    }
  }
  await sql`drop table if exists rollup_counts`.execute(db);
  await sql`drop table if exists rollup_measure_groups`.execute(db);
  await sql`drop index if exists measures_rollup_attrs_idx`.execute(db);
  await sql`drop index if exists measures_headline_idx`.execute(db);
  await sql`drop index if exists readings_period_idx`.execute(db);
  await sql`create index readings_period_idx on readings (period_key, measure_id)`.execute(db);
}

import { sql, type Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
//
// readings.measure_id keeps its guarantee (every reading names a measure that exists, and a
// measure with readings cannot be deleted) but is checked once per statement instead of once
// per row. The foreign key ran `SELECT ... FOR KEY SHARE` on the measure for every inserted
// row, writing a tuple lock and a WAL record each time: about half the cost of storing a
// 1,000-reading batch. The statement trigger checks the whole batch with one anti-join.
//
// Concurrency, as the foreign key's row lock gave it: writers hold the transaction-scoped
// advisory lock of each measure's priority (one bigint key: (0x5c0e = 23566) << 32 plus
// priority_id % 4096; the service's write path takes them first, and the insert check takes
// them too, for writers that do not), and deleting a measure takes the same lock before it
// looks for readings, so a delete waits for any writer of that measure to commit and then
// sees its readings.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table readings drop constraint if exists readings_measure_id_fkey`.execute(db);
  await sql`
    create or replace function readings_measure_check() returns trigger language plpgsql as $$
    declare
      missing int;
      keys int[];
    begin
      -- The priority locks of the measures the rows name (held already when the service writes).
      select array_agg(distinct m.priority_id % 4096) filter (where m.id is not null)
        into keys
        from new_rows n
        -- a probe per row (offset 0 keeps it one): a transition table has no statistics, and a
        -- hash join would read all 200,000 measures of a national set for every batch
        left join lateral (select x.id, x.priority_id from measures x where x.id = n.measure_id offset 0) m on true;
      perform pg_advisory_xact_lock((23566::bigint << 32) + k) from unnest(keys) as k order by k;
      -- Again under the locks (a new statement, a new snapshot): a delete that held one of them
      -- has committed by now, and its measure must count as missing.
      select count(*) into missing from new_rows n
        where not exists (select 1 from measures x where x.id = n.measure_id offset 0);
      if missing > 0 then
        raise foreign_key_violation using message = 'a reading names a measure that does not exist',
          detail = (select 'measure_id ' || n.measure_id from new_rows n
                    where not exists (select 1 from measures m where m.id = n.measure_id) limit 1),
          constraint = 'readings_measure_id_check';
      end if;
      return null;
    end $$`.execute(db);
  // One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
  await sql`create trigger readings_measure_check_ins after insert on readings
    referencing new table as new_rows for each statement execute function readings_measure_check()`.execute(db);
  await sql`create trigger readings_measure_check_upd after update on readings
    referencing new table as new_rows for each statement execute function readings_measure_check()`.execute(db);
  await sql`
    create or replace function measures_keep_readings() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock((23566::bigint << 32) + old.priority_id % 4096);
      if exists (select 1 from readings r where r.measure_id = old.id) then
        raise foreign_key_violation using message = 'measure ' || old.code || ' has readings and cannot be removed',
          constraint = 'readings_measure_id_check';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end $$`.execute(db);
  await sql`create trigger measures_keep_readings before delete or update of id on measures
    for each row execute function measures_keep_readings()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists measures_keep_readings on measures`.execute(db);
  await sql`drop function if exists measures_keep_readings()`.execute(db);
  await sql`drop trigger if exists readings_measure_check_ins on readings`.execute(db);
  await sql`drop trigger if exists readings_measure_check_upd on readings`.execute(db);
  await sql`drop function if exists readings_measure_check()`.execute(db);
  await sql`alter table readings add constraint readings_measure_id_fkey foreign key (measure_id) references measures (id)`.execute(db);
}

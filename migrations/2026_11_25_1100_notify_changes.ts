import { sql, type Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
// Every committed change to the scorecard notifies channel `scorecard_changed`, so each
// service instance can drop cached responses, whatever wrote the change (any instance, a
// migration, or SQL by hand). Statement-level: one notification per statement, and
// PostgreSQL folds identical notifications within a transaction into one.
const TABLES = ['priorities', 'measures', 'targets', 'readings', 'actions', 'action_updates'];

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function scorecard_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('scorecard_changed', '');
      return null;
    end $$`.execute(db);
  for (const t of TABLES) {
    await sql`create trigger ${sql.raw(`${t}_notify_change`)} after insert or update or delete or truncate on ${sql.table(t)}
      for each statement execute function scorecard_notify_change()`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of TABLES) await sql`drop trigger if exists ${sql.raw(`${t}_notify_change`)} on ${sql.table(t)}`.execute(db);
  await sql`drop function if exists scorecard_notify_change()`.execute(db);
}

import { sql, type Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
// Every committed change to api_keys (a key created, revoked, expired by hand, deleted)
// notifies channel `api_keys_changed`, so each service instance can drop the keys it has
// looked up (plugins/auth.ts), whatever wrote the change: the apikey CLI, another
// instance, or SQL by hand. A channel of its own: readings writes must not empty it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function api_keys_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('api_keys_changed', '');
      return null;
    end $$`.execute(db);
  await sql`create trigger api_keys_notify_change after insert or update or delete or truncate on api_keys
    for each statement execute function api_keys_notify_change()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists api_keys_notify_change on api_keys`.execute(db);
  await sql`drop function if exists api_keys_notify_change()`.execute(db);
}

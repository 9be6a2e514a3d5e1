import type { Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
// Rollups read every action's update for one period; the primary key (action_id, period_key)
// cannot serve that, so a period-first index does, as readings_period_idx does for readings.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('action_updates_period_idx').on('action_updates').columns(['period_key', 'action_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('action_updates_period_idx').ifExists().execute();
}

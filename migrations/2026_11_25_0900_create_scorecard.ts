import { sql, type Kysely } from 'kysely';

// Frozen in time: typed Kysely<any>, imports nothing from src/.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('priorities')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('objectives', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('measures')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('priority_id', 'integer', (c) => c.notNull().references('priorities.id'))
    .addColumn('report_number', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('polarity', 'text', (c) => c.notNull().check(sql`polarity in ('higher','lower','range')`))
    .addColumn('unit', 'text')
    .addColumn('headline', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('frequency', 'text', (c) =>
      c.notNull().defaultTo('quarterly').check(sql`frequency in ('quarterly','biannual','annual')`),
    )
    .addColumn('reporting_quarter', 'smallint', (c) => c.check(sql`reporting_quarter between 1 and 4`))
    .addColumn('cumulative', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('rolling12', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('trend_basis', 'text', (c) =>
      c.notNull().defaultTo('previous_period').check(sql`trend_basis in ('previous_period','same_period_last_year')`),
    )
    .addColumn('management_info_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('equalities', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('survey', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('new_in_year', 'text')
    .addColumn('portfolio_holder', 'text')
    .addColumn('lead_officer', 'text')
    .addColumn('directorate', 'text')
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('measures_priority_idx').on('measures').columns(['priority_id', 'id']).execute();

  // period_key = start year * 10 + quarter (1-4), or + 9 for the whole year.
  await db.schema
    .createTable('targets')
    .addColumn('measure_id', 'integer', (c) => c.notNull().references('measures.id'))
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('value','band','rule')`))
    .addColumn('value', 'numeric')
    .addColumn('min', 'numeric')
    .addColumn('max', 'numeric')
    .addColumn('rule', 'text')
    .addColumn('reason', 'text')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('targets_pk', ['measure_id', 'period_key'])
    .addCheckConstraint('targets_band_ck', sql`kind <> 'band' or (min is not null and max is not null and min <= max)`)
    .execute();
  await db.schema
    .createTable('target_revisions')
    .addColumn('measure_id', 'integer', (c) => c.notNull())
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('target_revisions_pk', ['measure_id', 'period_key', 'revision'])
    .execute();

  await db.schema
    .createTable('readings')
    .addColumn('measure_id', 'integer', (c) => c.notNull().references('measures.id'))
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('value', 'numeric')
    .addColumn('numerator', 'numeric')
    .addColumn('denominator', 'numeric')
    .addColumn('status', 'text')
    .addColumn('commentary', 'text')
    .addColumn('override_rag', 'text')
    .addColumn('override_reason', 'text')
    .addColumn('computed_rag', 'text')
    .addColumn('rag', 'text')
    .addColumn('rag_reason', 'text')
    .addColumn('variance', 'numeric')
    .addColumn('trend', 'text')
    .addColumn('trend_period_key', 'integer')
    .addColumn('trend_value', 'numeric')
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('readings_pk', ['measure_id', 'period_key'])
    .addCheckConstraint('readings_value_or_status_ck', sql`(value is null) <> (status is null)`)
    .execute();
  await db.schema.createIndex('readings_period_idx').on('readings').columns(['period_key', 'measure_id']).execute();
  await db.schema
    .createTable('reading_revisions')
    .addColumn('measure_id', 'integer', (c) => c.notNull())
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('reading_revisions_pk', ['measure_id', 'period_key', 'revision'])
    .execute();

  await db.schema
    .createTable('actions')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('priority_id', 'integer', (c) => c.notNull().references('priorities.id'))
    .addColumn('objective', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('directorates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('leads', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('action_updates')
    .addColumn('action_id', 'integer', (c) => c.notNull().references('actions.id'))
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('action_updates_pk', ['action_id', 'period_key'])
    .execute();
  await db.schema
    .createTable('action_update_revisions')
    .addColumn('action_id', 'integer', (c) => c.notNull())
    .addColumn('period_key', 'integer', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('action_update_revisions_pk', ['action_id', 'period_key', 'revision'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('read','write','admin')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key_id', 'integer', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['key_id', 'idempotency_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'idempotency_keys', 'api_keys', 'action_update_revisions', 'action_updates', 'actions',
    'reading_revisions', 'readings', 'target_revisions', 'targets', 'measures', 'priorities',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

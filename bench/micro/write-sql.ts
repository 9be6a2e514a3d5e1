// The write path's database side alone, statement variants side by side (no HTTP, no
// derivation): what one 1,000-reading batch costs PostgreSQL as the service stores it today,
// and as it could. Each variant writes the same kind of batch (new readings for 1,000 measures
// in one quarter, with a revision each) in its own transaction, N times, on a 40-council set.
//   npx tsx bench/micro/write-sql.ts [batches=30] [size=1000]
import pg from 'pg';
import { pino } from 'pino';
import { createDatabase } from '../../src/db/database.js';
import { readingView, type StoredReading } from '../../src/repositories/readings.js';
import { loadWindows, persistChanges } from '../../src/repositories/write-store.js';
import { generate, keyOfQuarter } from '../lib/generate.js';
import { createDb, dropDb, startServer } from '../lib/pg.js';

const BATCHES = Number(process.argv[2] ?? 30);
const SIZE = Number(process.argv[3] ?? 1000);
const log = pino({ level: 'warn' });
const server = await startServer(log);
const name = `scorecard_bench_micro_${process.pid}`;
const START = 2015;
const url = await createDb(server.url, name);

try {
  await generate(url, { name: 'micro', prefix: 'W', priorities: 40, measuresPerPriority: 200, quarters: 10, startYear: START, actionsPerPriority: 0, futureTargetQuarters: 0 });
  const { db, pool } = createDatabase({ url, poolMax: 1 });
  const ids = (await pool.query('select id, code from measures order by id limit $1', [SIZE])).rows as { id: number; code: string }[];
  let quarter = 10;
  const now = new Date();

  const batch = (): StoredReading[] => {
    const prev = keyOfQuarter(START, quarter - 1);
    const key = keyOfQuarter(START, quarter++);
    return ids.map((m, i) => ({
      measureId: m.id, key, value: (100 + (i % 37)).toFixed(2), numerator: null, denominator: null, status: null, commentary: null,
      overrideRag: null, overrideReason: null, computedRag: 'LG', rag: 'LG', ragReason: null, variance: '0.012345678901',
      trend: 'improving', trendPeriodKey: prev, trendValue: '99.5', revision: 1, source: 'bench-writer', updatedAt: now,
    }));
  };
  const snapshot = (r: StoredReading) => readingView(ids[0].code, r, { kind: 'value', value: '100' });
  const col = <K extends keyof StoredReading>(rows: StoredReading[], k: K) => rows.map((r) => r[k]);

  const variants: Record<string, (rows: StoredReading[]) => Promise<unknown>> = {
    // Today: new readings are one INSERT ... SELECT FROM unnest (their revision lives in the row).
    'persistChanges (today)': (rows) => persistChanges(db, {
      targets: [], targetDeletes: [], targetRevisions: [], readings: rows, readingHistory: [], at: now,
    }),
    // One json parameter per table: each document parsed once.
    'json per table (2 params)': (rows) => pool.query(`
      with ru as (
        insert into readings (measure_id, period_key, value, numerator, denominator, status, commentary, override_rag,
          override_reason, computed_rag, rag, rag_reason, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
        select * from json_to_recordset($1::json) as x(measure_id int, period_key int, value numeric, numerator numeric, denominator numeric,
          status text, commentary text, override_rag text, override_reason text, computed_rag text, rag text, rag_reason text, variance numeric,
          trend text, trend_period_key int, trend_value numeric, revision int, source text, updated_at timestamptz)
        on conflict (measure_id, period_key) do update set value = excluded.value, revision = excluded.revision),
      rr as (insert into reading_revisions (measure_id, period_key, revision, snapshot, source, created_at)
        select * from json_to_recordset($2::json) as x(measure_id int, period_key int, revision int, snapshot jsonb, source text, created_at timestamptz))
      select 1`, [
      JSON.stringify(rows.map((r) => ({ measure_id: r.measureId, period_key: r.key, value: r.value, numerator: null, denominator: null, status: null,
        commentary: null, override_rag: null, override_reason: null, computed_rag: r.computedRag, rag: r.rag, rag_reason: null, variance: r.variance,
        trend: r.trend, trend_period_key: r.trendPeriodKey, trend_value: r.trendValue, revision: r.revision, source: r.source, updated_at: now.toISOString() }))),
      JSON.stringify(rows.map((r) => ({ measure_id: r.measureId, period_key: r.key, revision: r.revision, snapshot: snapshot(r), source: r.source, created_at: now.toISOString() }))),
    ]),
    // Revisions built in SQL from the rows just upserted (RETURNING): the snapshot is not shipped.
    'unnest + revisions from RETURNING': (rows) => pool.query(`
      with ru as (
        insert into readings (measure_id, period_key, value, computed_rag, rag, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
        select * from unnest($1::int[], $2::int[], $3::numeric[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::int[], $9::numeric[], $10::int[], $11::text[], $12::timestamptz[])
        on conflict (measure_id, period_key) do update set value = excluded.value, revision = excluded.revision
        returning *)
      insert into reading_revisions (measure_id, period_key, revision, snapshot, source, created_at)
      select measure_id, period_key, revision, jsonb_build_object('value', value, 'rag', rag, 'computedRag', computed_rag, 'variance', variance,
        'trend', trend, 'trendPeriodKey', trend_period_key, 'trendValue', trend_value, 'status', status, 'commentary', commentary,
        'overrideRag', override_rag, 'overrideReason', override_reason), source, updated_at from ru`, [
      col(rows, 'measureId'), col(rows, 'key'), col(rows, 'value'), col(rows, 'computedRag'), col(rows, 'rag'), col(rows, 'variance'),
      col(rows, 'trend'), col(rows, 'trendPeriodKey'), col(rows, 'trendValue'), col(rows, 'revision'), col(rows, 'source'), rows.map(() => now),
    ]),
    // Readings with derived values, no revisions: what the revision rows cost.
    'unnest readings only (no revisions)': (rows) => pool.query(`
      insert into readings (measure_id, period_key, value, computed_rag, rag, variance, trend, trend_period_key, trend_value, revision, source, updated_at)
      select * from unnest($1::int[], $2::int[], $3::numeric[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::int[], $9::numeric[], $10::int[], $11::text[], $12::timestamptz[])
      on conflict (measure_id, period_key) do update set value = excluded.value, revision = excluded.revision`, [
      col(rows, 'measureId'), col(rows, 'key'), col(rows, 'value'), col(rows, 'computedRag'), col(rows, 'rag'), col(rows, 'variance'),
      col(rows, 'trend'), col(rows, 'trendPeriodKey'), col(rows, 'trendValue'), col(rows, 'revision'), col(rows, 'source'), rows.map(() => now),
    ]),
    // The benchmark's plain-SQL ceiling.
    'plain INSERT ... unnest (3 columns)': (rows) => pool.query(`insert into readings (measure_id, period_key, value, revision, source)
      select m, k, v, 1, 'bench-sql' from unnest($1::int[], $2::int[], $3::numeric[]) as u(m, k, v)`, [col(rows, 'measureId'), col(rows, 'key'), col(rows, 'value')]),
  };

  const time = async (fn: () => Promise<unknown>) => { const t = performance.now(); await fn(); return performance.now() - t; };
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out: Record<string, { persist: number; lock: number; load: number; commit: number }> = {};
  for (const [label, persist] of Object.entries(variants)) {
    const t = { persist: [] as number[], lock: [] as number[], load: [] as number[], commit: [] as number[] };
    for (let i = 0; i < BATCHES; i++) {
      const rows = batch();
      await pool.query('checkpoint').catch(() => undefined);
      await pool.query('begin');
      t.lock.push(await time(() => pool.query('select * from measures where id = any($1::int[]) order by id for no key update', [ids.map((m) => m.id)])));
      t.load.push(await time(() => loadWindows(db, ids.map((m) => ({ measureId: m.id, lo: rows[0].key, hi: rows[0].key + 10 })))));
      t.persist.push(await time(() => persist(rows)));
      t.commit.push(await time(() => pool.query('commit')));
    }
    out[label] = { persist: med(t.persist), lock: med(t.lock), load: med(t.load), commit: med(t.commit) };
    console.log(`${label.padEnd(40)} persist ${out[label].persist.toFixed(1)} ms  (lock ${out[label].lock.toFixed(1)}, load ${out[label].load.toFixed(1)}, commit ${out[label].commit.toFixed(1)})`);
  }
  await db.destroy();
} finally {
  await dropDb(server.url, name);
  await server.stop();
}

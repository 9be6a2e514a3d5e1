// What the rollup-summary triggers (migration rollup_counts) add to one 1,000-row
// INSERT ... ON CONFLICT into readings: new readings (the insert trigger) and revised ones
// (the update trigger, every row's rating and trend changed), on a 40-council set, with
// the triggers enabled and disabled, in alternate blocks, each in a transaction rolled back after.
//   npx tsx bench/micro/rollup-trigger.ts [runs=30] [size=1000]
import pg from 'pg';
import { pino } from 'pino';
import { generate, keyOfQuarter } from '../lib/generate.js';
import { createDb, dropDb, startServer } from '../lib/pg.js';

const RUNS = Number(process.argv[2] ?? 30);
const SIZE = Number(process.argv[3] ?? 1000);
const START = 2015;
const server = await startServer(pino({ level: 'warn' }));
const name = `rollup_trigger_micro_${process.pid}`;
const url = await createDb(server.url, name);
const TRIGGERS = ['rollup_readings_inserted', 'rollup_readings_updated'];

try {
  await generate(url, { name: 'trigger', prefix: 'T', priorities: 40, measuresPerPriority: 200, quarters: 10, startYear: START, actionsPerPriority: 0, futureTargetQuarters: 0 });
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  c.on('error', () => undefined); // the database is dropped with FORCE at the end
  // 1,000 consecutive measures (a council's batch: 5 priorities), or spread over all 40.
  const spread = process.env.SPREAD === '1';
  const ids = (await c.query(`select id from measures order by ${spread ? '(id % 40), ' : ''}id limit $1`, [SIZE])).rows.map((r) => r.id as number);
  console.log(`${SIZE} measures over ${(await c.query('select count(distinct priority_id)::int as n from measures where id = any($1)', [ids])).rows[0].n} priorities`);
  const upsert = `insert into readings (measure_id, period_key, value, computed_rag, rag, variance, trend, trend_period_key, trend_value, revision, source)
    select m, $2::int, v, g, g, 0.01, t, $2::int - 1, 99.5, 2, 'bench' from unnest($1::int[], $3::numeric[], $4::text[], $5::text[]) as x(m, v, g, t)
    on conflict (measure_id, period_key) do update set value = excluded.value, computed_rag = excluded.computed_rag, rag = excluded.rag,
      trend = excluded.trend, status = null, rag_reason = null, revision = readings.revision + 1`;
  const RAGS = ['HG', 'LG', 'A', 'LR', 'HR'];
  const TRENDS = ['improving', 'declining', 'no_change'];
  const params = (key: number, shift: number) => [ids, key, ids.map((_, i) => 100 + i % 37), ids.map((_, i) => RAGS[(i + shift) % 5]), ids.map((_, i) => TRENDS[(i + shift) % 3])];
  const time = async (key: number, shift: number) => {
    await c.query('begin');
    const t = performance.now();
    await c.query(upsert, params(key, shift));
    const ms = performance.now() - t;
    await c.query('rollback');
    return ms;
  };
  const setTriggers = (on: boolean) => c.query(TRIGGERS.map((n) => `alter table readings ${on ? 'enable' : 'disable'} trigger ${n}`).join('; '));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cases = { 'insert 1,000 new readings': { key: keyOfQuarter(START, 10), shift: 0 }, 'update 1,000 readings (rating and trend changed)': { key: keyOfQuarter(START, 9), shift: 1 } };
  for (const [label, { key, shift }] of Object.entries(cases)) {
    const on: number[] = [];
    const off: number[] = [];
    // Blocks of 10 alternately off and on: switching triggers invalidates the cached plans, so
    // the first 2 runs after each switch (planning the statement and the trigger's) are dropped.
    for (let b = 0; b < Math.ceil(RUNS / 10) * 2; b++) {
      const enabled = b % 2 === 1;
      await setTriggers(enabled);
      for (let i = 0; i < 12; i++) {
        const ms = await time(key, shift);
        if (i >= 2) (enabled ? on : off).push(ms);
      }
    }
    console.log(`${label}: median ${median(off).toFixed(2)} ms without the triggers, ${median(on).toFixed(2)} ms with: +${(median(on) - median(off)).toFixed(2)} ms per ${SIZE} rows`);
    // The same statement under EXPLAIN ANALYZE, which times each trigger inside the server:
    // the triggers' own cost, without the round trip and the noise of a shared machine.
    const inside: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await c.query('begin');
      const plan = (await c.query(`explain (analyze, format json) ${upsert}`, params(key, shift))).rows[0]['QUERY PLAN'][0];
      await c.query('rollback');
      inside.push((plan.Triggers as { 'Trigger Name': string; Time: number }[])
        .filter((t) => t['Trigger Name'].startsWith('rollup_')).reduce((a, t) => a + t.Time, 0));
    }
    console.log(`  rollup triggers' time inside the statement (EXPLAIN ANALYZE): median ${median(inside).toFixed(2)} ms, best ${Math.min(...inside).toFixed(2)} ms`);
  }
  await c.end();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await dropDb(server.url, name);
  await server.stop();
}

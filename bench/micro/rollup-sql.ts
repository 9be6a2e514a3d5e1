// The national rollup's counting, three ways, on one period of a generated set: the join the
// service and the bench's floor run today; the same with a covering index (index-only scan);
// and a per-(priority, period) summary table a writer would keep up to date in its transaction.
//   npx tsx bench/micro/rollup-sql.ts [priorities=400] [measures=500] [quarters=4]
import { pino } from 'pino';
import { generate, keyOfQuarter } from '../lib/generate.js';
import { createDb, dropDb, startServer, withClient } from '../lib/pg.js';

const [P, M, Q] = [Number(process.argv[2] ?? 400), Number(process.argv[3] ?? 500), Number(process.argv[4] ?? 4)];
const server = await startServer(pino({ level: 'warn' }));
const name = `scorecard_bench_rollup_${process.pid}`;
const url = await createDb(server.url, name);
try {
  const g = await generate(url, { name: 'rollup', prefix: 'C', priorities: P, measuresPerPriority: M, quarters: Q, startYear: 2019, actionsPerPriority: 0, futureTargetQuarters: 0 });
  const key = keyOfQuarter(2019, Q - 1);
  console.log(`${g.readings.toLocaleString('en-GB')} readings; one period = ${(P * M).toLocaleString('en-GB')} readings`);
  await withClient(url, async (c) => {
    const COUNTS = `count(*) filter (where r.rag = 'HG') hg, count(*) filter (where r.rag = 'LG') lg, count(*) filter (where r.rag = 'A') a,
      count(*) filter (where r.rag = 'LR') lr, count(*) filter (where r.rag = 'HR') hr, count(*) filter (where r.rag is null) nr,
      count(*) filter (where r.trend = 'improving') imp, count(*) filter (where r.trend = 'declining') dec`;
    const join = `select m.priority_id, ${COUNTS} from readings r join measures m on m.id = r.measure_id where r.period_key = $1 group by 1`;
    const time = async (label: string, text: string, params: unknown[] = [key], n = 7) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) { const t = performance.now(); await c.query(text, params); xs.push(performance.now() - t); }
      xs.sort((a, b) => a - b);
      console.log(`${label.padEnd(58)} median ${xs[Math.floor(n / 2)].toFixed(1)} ms, best ${xs[0].toFixed(1)} ms`);
    };
    await c.query('set max_parallel_workers_per_gather = 0'); // the service's queries get no parallel workers under load either
    await time('join readings x measures (today)', join);
    await c.query('create index readings_period_cover on readings (period_key, measure_id) include (rag, trend, rag_reason, status)');
    await c.query('vacuum analyze readings');
    await time('same, covering index (index-only scan)', join);
    await c.query(`create table rollup_counts as select m.priority_id, r.period_key, r.rag, r.trend, r.rag_reason, r.status, count(*)::int as n
      from readings r join measures m on m.id = r.measure_id group by 1, 2, 3, 4, 5, 6`);
    await c.query('create index on rollup_counts (period_key, priority_id)');
    await c.query('analyze rollup_counts');
    const rows = (await c.query('select count(*)::int as n from rollup_counts where period_key = $1', [key])).rows[0].n;
    await time(`summary table (${rows.toLocaleString('en-GB')} rows for the period)`, `select priority_id, sum(n) filter (where rag = 'HG') hg, sum(n) filter (where rag is null) nr,
      sum(n) filter (where trend = 'improving') imp from rollup_counts r where period_key = $1 group by 1`);
    await time('one priority, join (today)', `select ${COUNTS} from readings r join measures m on m.id = r.measure_id where m.priority_id = 7 and r.period_key = $1`);
  });
} finally {
  await dropDb(server.url, name);
  await server.stop();
}

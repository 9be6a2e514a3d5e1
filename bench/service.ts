// The service as the benchmark's child process: what src/server.ts does with DATABASE_URL set
// (pool, change feed for the response cache, buildApp, listen; BENCH_NO_CACHE=1 leaves the
// feed out, so every read goes to the database), plus, in the same process, a bare Fastify instance on BARE_PORT
// with no plugins: the ceiling this runtime, Fastify and pg reach on this machine.
//   GET /select1                       SELECT 1 through a pg pool of the same size
//   GET /rollup-sql/:period            the council-wide rollup's counting query, as plain SQL
//   GET /rollup-sql/:priority/:period  the same for one priority
// Stops on SIGTERM/SIGINT (so `node --cpu-prof` writes its profile).
import { appendFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import Fastify from 'fastify';
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ChangeFeed } from '../src/db/change-feed.js';
import { createDatabase } from '../src/db/database.js';
import { loggerOptions } from '../src/logger.js';

// BENCH_TRACE=file: time every statement the service sends (call to result, so inside a
// transaction it is the database's time plus the round trip), summed by statement shape.
const trace = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_TRACE) {
  const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text?: string })?.text ?? '?';
    const shape = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    const t = performance.now();
    const out = original.apply(this, a);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<unknown>).then(() => {
        const e = trace.get(shape) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += performance.now() - t;
        trace.set(shape, e);
      }, () => undefined);
    }
    return out;
  } as typeof pg.Client.prototype.query;
}

// BENCH_MEMLOG=file: process.memoryUsage() and V8's heap space sizes every 200 ms as JSON lines (what RSS is made of).
if (process.env.BENCH_MEMLOG) {
  const file = process.env.BENCH_MEMLOG;
  const spaces = () => Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_size]));
  setInterval(() => appendFileSync(file, JSON.stringify({ t: Date.now(), ...process.memoryUsage(), spaces: spaces() }) + '\n'), 200).unref();
}

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('bench/service.ts needs DATABASE_URL');
const log = pino(loggerOptions(config.LOG_LEVEL));
const database = createDatabase({
  url: config.DATABASE_URL,
  poolMax: config.DB_POOL_MAX,
  statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
});
const changes = process.env.BENCH_NO_CACHE === '1' ? undefined : new ChangeFeed(config.DATABASE_URL, log);
await changes?.start();
const app = await buildApp({ config, db: database.db, logger: log, changes });
await app.listen({ port: config.PORT, host: '127.0.0.1' });

const bare = createDatabase({ url: config.DATABASE_URL, poolMax: config.DB_POOL_MAX, applicationName: 'scorecard-bench-bare' });
const floor = Fastify({ logger: false });
const COUNTS = `count(*) filter (where r.rag = 'HG')::int as hg, count(*) filter (where r.rag = 'LG')::int as lg,
  count(*) filter (where r.rag = 'A')::int as a, count(*) filter (where r.rag = 'LR')::int as lr,
  count(*) filter (where r.rag = 'HR')::int as hr, count(*) filter (where r.rag is null)::int as not_rated,
  count(*) filter (where r.trend = 'improving')::int as improving, count(*) filter (where r.trend = 'declining')::int as declining,
  count(*) filter (where r.trend = 'no_change')::int as no_change`;
floor.get('/select1', async () => (await bare.pool.query('select 1 as one')).rows[0]);
floor.get<{ Params: { period: string } }>('/rollup-sql/:period', async (req) => ({
  priorities: (await bare.pool.query(`select p.code, ${COUNTS} from readings r join measures m on m.id = r.measure_id
    join priorities p on p.id = m.priority_id where r.period_key = $1 group by p.code order by p.code`, [Number(req.params.period)])).rows,
}));
floor.get<{ Params: { priority: string; period: string } }>('/rollup-sql/:priority/:period', async (req) => (await bare.pool.query(
  `select ${COUNTS} from readings r join measures m on m.id = r.measure_id
    where m.priority_id = (select id from priorities where code = $1) and r.period_key = $2`, [req.params.priority, Number(req.params.period)])).rows[0]);
await floor.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
process.send?.({ ready: true });

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([app.close(), floor.close()]);
  await changes?.close();
  await Promise.allSettled([database.db.destroy(), bare.pool.end()]);
  if (process.env.BENCH_TRACE) {
    const rows = [...trace].sort((a, b) => b[1].ms - a[1].ms).map(([shape, e]) => ({ shape, n: e.n, ms: Math.round(e.ms), avg: Math.round((e.ms / e.n) * 100) / 100 }));
    writeFileSync(process.env.BENCH_TRACE, JSON.stringify(rows, null, 2));
  }
  process.exit(0);
};
process.on('SIGTERM', stop).on('SIGINT', stop);

// One client's batch ingest inside one process, split into where the time goes: per batch the
// wall time of POST /v1/readings/batch (app.inject: no sockets), the Node CPU it used, and the
// time its statements took (call to result). For iterating on the write path between full
// bench runs; the figures that count are `npm run bench`'s.
//   npx tsx bench/micro/ingest.ts [batches=40] [size=1000]     (MINIMAL=1: with Prefer: return=minimal)
import pg from 'pg';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { generateKey, insertKey } from '../../src/repositories/api-keys.js';
import { generate, periodOfQuarter } from '../lib/generate.js';
import { createDb, dropDb, startServer } from '../lib/pg.js';
import { cpuSince, type CpuSplit } from '../lib/processes.js';

const BATCHES = Number(process.argv[2] ?? 40);
const SIZE = Number(process.argv[3] ?? 1000);
const WARMUP = 10;
const START = 2015;
const log = pino({ level: 'warn' });

let statementMs = 0;
let measuring = false;
const byShape = new Map<string, number>();
const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const t0 = performance.now();
  const out = original.apply(this, a);
  if (out && typeof (out as Promise<unknown>).then === 'function') {
    const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text?: string })?.text ?? '?';
    (out as Promise<unknown>).then(() => {
      const ms = performance.now() - t0;
      statementMs += ms;
      if (measuring) { const shape = text.replace(/\s+/g, ' ').trim().slice(0, 70); byShape.set(shape, (byShape.get(shape) ?? 0) + ms); }
    }, () => undefined);
  }
  return out;
} as typeof pg.Client.prototype.query;

const server = await startServer(log);
const name = `scorecard_bench_ingest_${process.pid}`;
const url = await createDb(server.url, name);
try {
  const quarters = 10;
  await generate(url, { name: 'ingest', prefix: 'W', priorities: 40, measuresPerPriority: 200, quarters, startYear: START, actionsPerPriority: 0, futureTargetQuarters: 40 });
  const database = createDatabase({ url, poolMax: 4 });
  await migrateToLatest(database.db);
  const key = generateKey();
  await insertKey(database.db, key, 'ingest-bench', 'write');
  const config = loadConfig({ ...process.env, DATABASE_URL: url, RATE_LIMIT_MAX: '0', LOG_LEVEL: 'warn' });
  const app = await buildApp({ config, db: database.db });
  const codes = (await database.pool.query('select code from measures order by id')).rows.map((r) => r.code as string);
  const perQuarter = Math.floor(codes.length / SIZE);
  const rows: { wall: number; cpu: number; db: number }[] = [];
  let cpuOfRun: (() => CpuSplit) | undefined;
  for (let b = 0; b < WARMUP + BATCHES; b++) {
    const q = quarters + Math.floor(b / perQuarter);
    const block = codes.slice((b % perQuarter) * SIZE, (b % perQuarter + 1) * SIZE);
    const payload = JSON.stringify({ readings: block.map((measure, i) => ({ measure, period: periodOfQuarter(START, q), value: Math.round((90 + ((i * 7919 + b * 104729) % 2500) / 100) * 100) / 100 })) });
    statementMs = 0;
    measuring = b >= WARMUP;
    if (b === WARMUP) cpuOfRun = cpuSince({ postmaster: server.postmaster });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const res = await app.inject({ method: 'POST', url: '/v1/readings/batch', payload, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(process.env.MINIMAL ? { prefer: 'return=minimal' } : {}) } });
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (res.statusCode !== 200) throw new Error(`batch ${b}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    if (b >= WARMUP) rows.push({ wall, cpu: (cpu.user + cpu.system) / 1000, db: statementMs });
  }
  const used = cpuOfRun!();
  const med = (k: 'wall' | 'cpu' | 'db') => { const s = rows.map((r) => r[k]).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  console.log(`${BATCHES} batches of ${SIZE} (after ${WARMUP} warm-up), medians per batch: wall ${med('wall').toFixed(1)} ms ` +
    `(${Math.round(SIZE / med('wall') * 1000).toLocaleString('en-GB')} readings/s), Node CPU ${med('cpu').toFixed(1)} ms, statements ${med('db').toFixed(1)} ms; ` +
    `mean CPU per batch from /proc: this process ${(used.bench / BATCHES).toFixed(1)} ms, PostgreSQL ${(used.postgres / BATCHES).toFixed(1)} ms`);
  for (const [shape, ms] of [...byShape].sort((a, b) => b[1] - a[1])) console.log(`  ${(ms / BATCHES).toFixed(2).padStart(7)} ms  ${shape}`);
  await app.close();
  await database.db.destroy();
} finally {
  if (process.env.KEEP_DB) console.log(`kept ${url}`);
  else await dropDb(server.url, name);
  await server.stop();
}

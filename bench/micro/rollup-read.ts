// One rollup request at a time, in process (app.inject, no response cache), on an existing
// database: where a miss spends its time, without HTTP load around it.
//   npx tsx bench/micro/rollup-read.ts <database url> <period> [runs=10]
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/db/database.js';

const [url, period, runs = '10'] = process.argv.slice(2);
const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', DATABASE_URL: url });
const { db, pool } = createDatabase({ url, poolMax: 2 });
const app = await buildApp({ config, db });
const priorities = (await pool.query('select code from priorities order by id')).rows.map((r) => r.code as string);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [label, urlOf] of [
  ['all priorities', () => `/v1/rollups/${period}?working=false`],
  ['one priority', (i: number) => `/v1/priorities/${priorities[i % priorities.length]}/rollups/${period}?working=false`],
] as const) {
  const xs: number[] = [];
  let bytes = 0;
  for (let i = 0; i < Number(runs) + 2; i++) {
    const t = performance.now();
    const res = await app.inject({ method: 'GET', url: urlOf(i * 37) });
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body.slice(0, 200)}`);
    if (i >= 2) xs.push(performance.now() - t);
    bytes = res.body.length;
  }
  console.log(`${label}: median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB`);
}
await app.close();
await db.destroy();

// `npm run bench` (full) or `npm run bench -- --quick` (under 2 minutes): the service against
// the limits of its own stack, on the same machine, in the same run. See docs/BENCHMARKS.md.
//
// Flags: --quick            small sets, short runs, no national set, no profiles
//        --no-national      full mode without the 8M-reading set
//        --no-peer          skip the auto-generated REST API peer
//        --no-profile       full mode without the CPU profiles
//        --docs / --no-docs write (or not) the figures into docs/BENCHMARKS.md (default: full mode only)
//        --only=read,write,scale   run some phases
// PostgreSQL: DATABASE_URL's server when set (databases scorecard_bench_* are created and
// dropped on it), else an embedded one in a temporary directory.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { generateKey, hashKey, prefixOf } from '../src/repositories/api-keys.js';
import { checkDerivation, generate, keyOfQuarter, periodOfQuarter, type GenerateResult, type ScaleSpec } from './lib/generate.js';
import { load, type LoadOptions, type LoadResult } from './lib/load.js';
import { cpuCheck } from './lib/machine.js';
import { benchDbName, createDb, dropDb, startServer, withClient, type BenchServer } from './lib/pg.js';
import { freePort, RssLog, startChild, type Child } from './lib/processes.js';
import { summariseProfile } from './lib/profile.js';
import { renderMarkdown, writeDocs, type BenchResults } from './lib/report.js';
import { loadWriteSet, makeBatches, pairedRuns, serviceRun, type WritePair, type WriteRun, type WriteSet } from './lib/write.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The service is measured as shipped: compiled by `npm run build` (src/ and bench/service.ts to
// dist/), run by plain node. Built here, so a run never measures a stale dist/.
const SERVICE_JS = join(ROOT, 'dist/bench/service.js');
// ...with the node flags `npm start` gives it (package.json's start script), so heap limits
// measured here are the ones shipped.
const START_FLAGS = startFlags(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start);
function startFlags(script: string): string[] {
  const m = /\bnode((?:\s+--\S+)*)\s+dist\/src\/server\.js/.exec(script);
  if (!m) throw new Error(`package.json start script not understood: ${script}`);
  return m[1].trim().split(/\s+/).filter(Boolean);
}
const args = new Set(process.argv.slice(2));
const flag = (name: string) => args.has(`--${name}`);
const QUICK = flag('quick');
const only = [...args].find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ['read', 'write', 'scale'];
const WITH_NATIONAL = !QUICK && !flag('no-national');
const WITH_PEER = !flag('no-peer');
const WITH_PROFILE = !QUICK && !flag('no-profile');
const WRITE_DOCS = flag('docs') || (!QUICK && !flag('no-docs'));

const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(0)} s`;
const say = (msg: string) => console.log(`[bench ${elapsed()}] ${msg}`);
/** The machine's 1-minute load average when each phase starts: other work on the machine shows here. */
const loadAt: Record<string, number> = {};
const markLoad = (phase: string) => { loadAt[phase] = Math.round(loadavg()[0] * 100) / 100; };
const log = pino({ level: 'warn' });

// One council (the report's size), 40 councils (80k readings: the rollup goal's size, also the
// write benchmark's set) and the national set (400 councils x 500 measures x 40 quarters).
const WRITE_CLIENTS = [1, 2, 8];
const WRITE_BATCHES = [100, 500, 1000];
// Readings sent per (batch size, clients): enough for a few seconds each in full mode.
const writeRows = (batch: number) => (QUICK ? { 100: 4_000, 500: 8_000, 1000: 16_000 } : { 100: 40_000, 500: 80_000, 1000: 160_000 })[batch as 100 | 500 | 1000];
const quartersFor = (rows: number, measures: number) => Math.ceil(rows / measures);
const W_MEASURES = 8_000;
// 1,000-row batches run twice: with the full answer (the default) and with Prefer: return=minimal.
const MINIMAL_BATCH = 1000;
/** Each write configuration runs as this many alternating rounds of plain SQL and service (pairedRuns). */
const WRITE_ROUNDS = QUICK ? 2 : 4;
const writeQuarters = WRITE_CLIENTS.length * (WRITE_BATCHES.reduce((n, b) => n + quartersFor(writeRows(b), W_MEASURES), 0) +
  quartersFor(writeRows(MINIMAL_BATCH), W_MEASURES)) + 12;
const SPECS: Record<'council' | 'forty' | 'national', ScaleSpec> = {
  council: { name: '1 council', prefix: 'H', priorities: 5, measuresPerPriority: 22, quarters: 12, startYear: 2016, actionsPerPriority: 12, futureTargetQuarters: 12 },
  forty: { name: '40 councils', prefix: 'W', priorities: 40, measuresPerPriority: 200, quarters: 10, startYear: 2015, actionsPerPriority: 8, futureTargetQuarters: writeQuarters },
  national: { name: 'national', prefix: 'C', priorities: 400, measuresPerPriority: 500, quarters: 40, startYear: 2010, actionsPerPriority: 10, futureTargetQuarters: 4 },
};
// autocannon stops on whole-second ticks: keep these whole.
const READ_SECONDS = QUICK ? 2 : 10;
const WARMUP_SECONDS = QUICK ? 0 : 2;

const results: BenchResults = {
  mode: QUICK ? 'quick' : 'full',
  startedAt: new Date(startedAt).toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: '',
    postgresSource: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded (temporary directory)',
    postgresSettings: {},
    cpuCheckMs: cpuCheck(),
  },
  generation: {},
  derivationCheck: null,
  reads: [],
  readNotes: [],
  writes: [],
  scale: [],
  rss: {},
  rssPeak: 0,
  profiles: [],
  notes: [],
  totalSeconds: 0,
};

const rss = new RssLog();
let server: BenchServer | null = null;
const created: string[] = [];
const children = new Set<Child>();

const SERVICE_ENV = (url: string, port: number, barePort: number) => ({
  DATABASE_URL: url,
  PORT: String(port),
  BARE_PORT: String(barePort),
  HOST: '127.0.0.1',
  RATE_LIMIT_MAX: '0',
  LOG_LEVEL: 'warn',
  SEED: 'false',
  DB_POOL_MAX: process.env.DB_POOL_MAX ?? '10',
});

interface Service { base: string; bare: string; child: Child }

async function startService(url: string, nodeFlags: string[] = [], extraEnv: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const barePort = await freePort();
  const child = await startChild(SERVICE_JS, { ...SERVICE_ENV(url, port, barePort), ...extraEnv }, { rss, nodeFlags: [...START_FLAGS, ...nodeFlags], cwd: ROOT });
  children.add(child);
  return { base: `http://127.0.0.1:${port}`, bare: `http://127.0.0.1:${barePort}`, child };
}

async function stopChild(c: Child) {
  await c.stop();
  children.delete(c);
}

async function newDb(tag: string, template?: string) {
  const name = benchDbName(tag);
  const url = await createDb(server!.url, name, template);
  created.push(name);
  return { name, url };
}

/** Flushes dirty buffers so one measurement does not pay for the last one's writes. */
async function checkpoint() {
  await withClient(server!.url, (c) => c.query('checkpoint')).catch(() => undefined); // needs superuser (or pg_checkpoint)
}

async function addWriteKey(url: string): Promise<string> {
  const key = generateKey();
  await withClient(url, (c) => c.query(`insert into api_keys (name, prefix, hash, scope) values ('bench-writer', $1, $2, 'write')`, [prefixOf(key), hashKey(key)]));
  return key;
}

async function makeSet(which: keyof typeof SPECS): Promise<{ name: string; url: string; spec: ScaleSpec; gen: GenerateResult }> {
  const spec = SPECS[which];
  const db = await newDb(which);
  say(`generating ${spec.name}: ${spec.priorities} priorities x ${spec.measuresPerPriority} measures x ${spec.quarters} quarters`);
  const gen = await generate(db.url, spec, say);
  results.generation[spec.name] = { ...gen, spec: `${spec.priorities} x ${spec.measuresPerPriority} x ${spec.quarters}` };
  say(`${spec.name}: ${gen.readings.toLocaleString('en-GB')} readings, ${gen.targets.toLocaleString('en-GB')} targets in ${gen.seconds} s`);
  return { ...db, spec, gen };
}

const codesOf = async (url: string, sql: string) => withClient(url, async (c) => (await c.query(sql)).rows.map((r) => r.code as string));

/**
 * Waits (at most 60 s) until the service has no statement running: when autocannon stops, the
 * service is still finishing the requests in flight, and a slow route (a national rollup
 * takes seconds) would otherwise steal CPU and pool connections from the next measurement.
 */
async function drain(url: string) {
  const until = Date.now() + 60_000;
  await withClient(url, async (c) => {
    while (Date.now() < until) {
      const n = (await c.query(`select count(*)::int as n from pg_stat_activity
        where state <> 'idle' and (application_name like 'scorecard-api%' or application_name = 'scorecard-bench-bare') and pid <> pg_backend_pid()`)).rows[0].n as number;
      if (n === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    results.notes.push(`service still busy 60 s after a run ended (${url.replace(/^.*\//, '')})`);
  });
}

function readNote(r: LoadResult, what: string): boolean {
  if (r.firstStatus === 404) {
    results.readNotes.push(`${what}: the route answers 404 (not built yet); skipped`);
    return false;
  }
  if (r.non2xx || r.errors) results.readNotes.push(`${what}: ${r.non2xx} non-2xx, ${r.errors} errors (first status ${r.firstStatus})`);
  return true;
}

const ROLLUP_ALL = 'GET /v1/rollups/{period}?working=false';
const ROLLUP_ONE = 'GET /v1/priorities/{code}/rollups/{period}?working=false';
const FLOOR_ALL = 'bare Fastify + pg: rollup counts, all priorities';
const FLOOR_ONE = 'bare Fastify + pg: rollup counts, one priority';
let fortyScale: BenchResults['scale'][number] | null = null;

/** Posts a 100-row batch every 250 ms for `seconds` (bounded), for reads measured under writes. */
async function writeLoop(base: string, url: string, key: string, set: WriteSet, seconds: number) {
  const { batches } = makeBatches(set, 100, 100 * Math.ceil(seconds * 4), 4242);
  let failed = 0;
  let n = 0;
  const until = Date.now() + seconds * 1000;
  for (const b of batches) {
    if (Date.now() > until) break;
    const t = Date.now();
    const res = await fetch(`${base}/v1/readings/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: b.body });
    await res.arrayBuffer();
    if (!res.ok) failed++;
    n++;
    await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - t))));
  }
  return { batches: n, failed };
}

async function readPhase(forty: { url: string; spec: ScaleSpec; gen: GenerateResult }, svc: Service, writeKey: string, writeSet: WriteSet) {
  rss.phase = 'read';
  markLoad('read');
  const s = forty.spec;
  const period = periodOfQuarter(s.startYear, s.quarters - 1);
  const key = keyOfQuarter(s.startYear, s.quarters - 1);
  const codes = await codesOf(forty.url, `select code from measures where id % 4 = 0 order by id limit 2000`);
  const priorities = await codesOf(forty.url, `select code from priorities order by id`);
  const ids = await withClient(forty.url, async (c) => (await c.query(`select id from measures where id % 4 = 0 order by id limit 2000`)).rows.map((r) => r.id as number));
  const o = (connections: number, paths: string[]) => ({ connections, seconds: READ_SECONDS, warmupSeconds: WARMUP_SECONDS, paths });
  const run = async (group: string, what: string, base: string, opts: ReturnType<typeof o>) => {
    say(`read: ${what} (${opts.connections} connections)`);
    const r = await load(what, base, opts);
    await drain(forty.url);
    if (readNote(r, what)) results.reads.push({ group, ...r });
  };
  await run('ceiling', '/health (service)', svc.base, o(32, ['/health']));
  await run('ceiling', 'bare Fastify + pg: SELECT 1', svc.bare, o(32, ['/select1']));
  await run('service', 'GET /v1/measures/{code}', svc.base, o(32, codes.map((c) => `/v1/measures/${c}`)));
  await run('service', 'GET /v1/measures/{code}/readings', svc.base, o(32, codes.map((c) => `/v1/measures/${c}/readings`)));
  await run('service', ROLLUP_ALL, svc.base, o(10, [`/v1/rollups/${period}?working=false`]));
  await run('service', ROLLUP_ONE, svc.base, o(10, priorities.map((p) => `/v1/priorities/${p}/rollups/${period}?working=false`)));
  if (!QUICK) {
    await run('service', 'GET /v1/rollups/{period} (default: with working)', svc.base, o(10, [`/v1/rollups/${period}`]));
    await run('service', 'GET /v1/priorities/{code}/rollups/{period} (default: with working)', svc.base, o(10, priorities.map((p) => `/v1/priorities/${p}/rollups/${period}`)));
  }
  await run('ceiling', FLOOR_ALL, svc.bare, o(10, [`/rollup-sql/${key}`]));
  await run('ceiling', FLOOR_ONE, svc.bare, o(10, priorities.map((p) => `/rollup-sql/${p}/${key}`)));
  // The cache's worst realistic case: every write empties it, here four times a second.
  say('read: GET /v1/measures/{code} while one client writes a 100-row batch every 250 ms');
  const writer = writeLoop(svc.base, forty.url, writeKey, writeSet, READ_SECONDS + WARMUP_SECONDS + 2);
  const underWrites = await load('GET /v1/measures/{code} while writing (100 readings / 250 ms)', svc.base, o(32, codes.map((c) => `/v1/measures/${c}`)));
  const wrote = await writer;
  if (readNote(underWrites, underWrites.name)) results.reads.push({ group: 'service', ...underWrites });
  results.notes.push(`reads under writes: ${wrote.batches} batches (${wrote.failed} failed) written while reading`);

  // The same routes with the response cache off: what a miss (the first read after a write) costs.
  rss.phase = 'read (cache off)';
  const cold = await startService(forty.url, [], { BENCH_NO_CACHE: '1' });
  await run('service, cache off', 'GET /v1/measures/{code} (cache off)', cold.base, o(32, codes.map((c) => `/v1/measures/${c}`)));
  await run('service, cache off', 'GET /v1/measures/{code}/readings (cache off)', cold.base, o(32, codes.map((c) => `/v1/measures/${c}/readings`)));
  await run('service, cache off', `${ROLLUP_ALL} (cache off)`, cold.base, o(10, [`/v1/rollups/${period}?working=false`]));
  await run('service, cache off', `${ROLLUP_ONE} (cache off)`, cold.base, o(10, priorities.map((p) => `/v1/priorities/${p}/rollups/${period}?working=false`)));
  await stopChild(cold.child);
  rss.phase = 'read';

  // The same figures stand in the scale table's 40-council column.
  const pick = (name: string) => results.reads.find((x) => x.name === name) ?? null;
  fortyScale = {
    label: SPECS.forty.name, readings: forty.gen.readings, dbSize: '',
    reads: {
      'rollup: all priorities': pick(ROLLUP_ALL), 'rollup: one priority': pick(ROLLUP_ONE),
      'floor: rollup counts, all priorities': pick(FLOOR_ALL), 'floor: rollup counts, one priority': pick(FLOOR_ONE),
      'measure read': pick('GET /v1/measures/{code}'),
      'rollup: all priorities (cache off)': pick(`${ROLLUP_ALL} (cache off)`), 'rollup: one priority (cache off)': pick(`${ROLLUP_ONE} (cache off)`),
      'measure read (cache off)': pick('GET /v1/measures/{code} (cache off)'),
    },
    writes: [],
  };
  fortyScale.dbSize = await withClient(forty.url, async (c) => (await c.query(`select pg_size_pretty(pg_database_size(current_database())) as s`)).rows[0].s);

  if (!WITH_PEER) return;
  if (!existsSync(join(ROOT, 'bench/peer/node_modules/@platformatic/sql-openapi')) && !QUICK) {
    // Full mode installs the peer into bench/peer/node_modules (its own lockfile); quick mode has no time for it.
    say('read: installing the peer (npm --prefix bench/peer ci)');
    try {
      execFileSync('npm', ['--prefix', join(ROOT, 'bench/peer'), 'ci', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 300_000 });
    } catch (err) {
      results.readNotes.push(`peer: npm ci in bench/peer failed (${(err as Error).message.split('\n')[0]}); skipped`);
    }
  }
  if (!existsSync(join(ROOT, 'bench/peer/node_modules/@platformatic/sql-openapi'))) {
    results.readNotes.push('peer: @platformatic/sql-openapi is not installed (`npm --prefix bench/peer ci`; full mode does it); skipped');
    return;
  }
  rss.phase = 'read (peer running)';
  const port = await freePort();
  say('read: starting the peer (@platformatic/sql-openapi)');
  let peer: Child;
  try {
    peer = await startChild(join(ROOT, 'bench/peer/server.ts'), { DATABASE_URL: forty.url, PEER_PORT: String(port), DB_POOL_MAX: SERVICE_ENV('', 0, 0).DB_POOL_MAX }, { cwd: ROOT });
  } catch (err) {
    results.readNotes.push(`peer: did not start (${(err as Error).message}); skipped`);
    return;
  }
  children.add(peer);
  const base = `http://127.0.0.1:${port}`;
  await run('peer', 'peer: GET /measures/{id}', base, o(32, ids.map((id) => `/measures/${id}`)));
  await run('peer', 'peer: GET /readings?where.measureId.eq={id}', base, o(32, ids.map((id) => `/readings?where.measureId.eq=${id}&orderby.periodKey=asc&limit=100`)));
  results.notes.push(`peer process peak RSS ${(peer.peakRss / 2 ** 20).toFixed(0)} MB`);
  await stopChild(peer);
}

async function writePhase(forty: { url: string }, twinUrl: string, svc: Service, set: WriteSet, key: string) {
  rss.phase = 'write';
  markLoad('write');
  // The twin sees the same batches; its own copy of the write set keeps the quarters in step.
  // Each minimal run follows its full-answer twin at once, so the two compare on the same machine minute.
  const configs = WRITE_BATCHES.flatMap((batch) => WRITE_CLIENTS.flatMap((clients) =>
    [{ batch, clients, minimal: false }, ...(batch === MINIMAL_BATCH ? [{ batch, clients, minimal: true }] : [])]));
  for (const { batch, clients, minimal } of configs) {
    const { batches, lo, hi } = makeBatches(set, batch, writeRows(batch), batch * 31 + clients + (minimal ? 17 : 0));
    const answer = minimal ? ', Prefer: return=minimal' : '';
    say(`write: ${batch}-row batches, ${clients} client(s)${answer}, ${batches.length * batch} readings: plain SQL and service in ${WRITE_ROUNDS} alternating rounds`);
    const { sql, service } = await pairedRuns(twinUrl, { base: svc.base, dbUrl: forty.url, key, pid: svc.child.pid, postmaster: server!.postmaster, minimal },
      batches, clients, lo, hi, WRITE_ROUNDS, checkpoint);
    const pair: WritePair = { batch, clients, minimal, service, sql, ratio: sql ? service.rowsPerSec / sql.rowsPerSec : null };
    results.writes.push(pair);
    say(`write: service ${service.rowsPerSec.toFixed(0)}/s, SQL ${sql.rowsPerSec.toFixed(0)}/s, ratio ${pair.ratio?.toFixed(2)}, stored ok ${service.storedOk}/${sql.storedOk}`);
  }
}

async function scalePoint(label: string, url: string, spec: ScaleSpec, svc: Service, writes: { batch: number; batches: number }[]) {
  rss.phase = `scale: ${label}`;
  markLoad(`scale: ${label}`);
  const period = periodOfQuarter(spec.startYear, spec.quarters - 1);
  const key = keyOfQuarter(spec.startYear, spec.quarters - 1);
  const priorities = await codesOf(url, `select code from priorities order by id`);
  const codes = await codesOf(url, `select code from measures where id % ${Math.max(1, Math.floor(spec.priorities * spec.measuresPerPriority / 2000))} = 0 order by id limit 2000`);
  const o = (connections: number, paths: string[]): LoadOptions => ({ connections, seconds: READ_SECONDS, warmupSeconds: WARMUP_SECONDS, paths });
  const reads: Record<string, LoadResult | null> = {};
  const run = async (name: string, base: string, opts: LoadOptions) => {
    say(`scale ${label}: ${name}`);
    const r = await load(name, base, opts);
    await drain(url);
    reads[name] = readNote(r, `${label}: ${name}`) ? r : null;
  };
  await run('rollup: all priorities', svc.base, o(10, [`/v1/rollups/${period}?working=false`]));
  // The same without gzip, to show what the encoding is worth (a client that does not ask for it).
  await run('rollup: all priorities, identity (no gzip)', svc.base, { ...o(10, [`/v1/rollups/${period}?working=false`]), headers: { 'accept-encoding': 'identity' } });
  await run('rollup: one priority', svc.base, o(10, priorities.map((p) => `/v1/priorities/${p}/rollups/${period}?working=false`)));
  await run('floor: rollup counts, all priorities', svc.bare, o(10, [`/rollup-sql/${key}`]));
  await run('floor: rollup counts, one priority', svc.bare, o(10, priorities.map((p) => `/rollup-sql/${p}/${key}`)));
  await run('measure read', svc.base, o(32, codes.map((c) => `/v1/measures/${c}`)));
  if (!QUICK) {
    rss.phase = `scale: ${label} (cache off)`;
    const cold = await startService(url, [], { BENCH_NO_CACHE: '1' });
    await run('rollup: all priorities (cache off)', cold.base, o(10, [`/v1/rollups/${period}?working=false`]));
    await run('rollup: one priority (cache off)', cold.base, o(10, priorities.map((p) => `/v1/priorities/${p}/rollups/${period}?working=false`)));
    await run('measure read (cache off)', cold.base, o(32, codes.map((c) => `/v1/measures/${c}`)));
    await stopChild(cold.child);
    rss.phase = `scale: ${label}`;
  }
  const writeRuns: WriteRun[] = [];
  if (writes.length) {
    const k = await addWriteKey(url);
    const set = await loadWriteSet(url, spec.startYear, spec.quarters);
    for (const w of writes) {
      const { batches, lo, hi } = makeBatches(set, w.batch, w.batch * w.batches, w.batch + 7);
      say(`scale ${label}: write ${w.batches} x ${w.batch}-row batches, 1 client`);
      writeRuns.push(await serviceRun(svc.base, url, k, batches, 1, lo, hi));
    }
  }
  const size = await withClient(url, async (c) => (await c.query(`select count(*)::int as n, pg_size_pretty(pg_database_size(current_database())) as size from readings`)).rows[0]);
  results.scale.push({ label, readings: size.n, dbSize: size.size, reads, writes: writeRuns });
}

/** Restarts the service under `node --cpu-prof`, runs `work`, stops it and summarises the profile. */
async function profiled(label: string, url: string, work: (svc: Service) => Promise<void>): Promise<void> {
  // One directory per profile: node writes a file per thread (if any worker runs);
  // the main thread's is the largest.
  const dir = join(ROOT, `bench/results/profiles/${label.replace(/\W+/g, '-')}-${startedAt}`);
  await mkdir(dir, { recursive: true });
  rss.phase = `profile: ${label}`;
  const svc = await startService(url, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  await work(svc);
  await stopChild(svc.child);
  const files = await Promise.all((await readdir(dir)).map(async (f) => ({ f, size: (await stat(join(dir, f))).size })));
  const main = files.sort((a, b) => b.size - a.size)[0];
  if (!main) throw new Error(`no CPU profile written in ${dir}`);
  results.profiles.push(await summariseProfile(join(dir, main.f), label));
}

async function main() {
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  say(`mode: ${results.mode}; phases: ${only.join(", ")}; national: ${WITH_NATIONAL}; service: node ${[...START_FLAGS, "dist/bench/service.js"].join(" ")}`);
  server = await startServer(log);
  results.machine.postgres = server.version;
  results.machine.postgresSettings = server.settings;
  say(`PostgreSQL ${server.version} (${results.machine.postgresSource})`);

  const forty = await makeSet('forty');
  const twin = await newDb('forty_sql', forty.name);
  const check = await checkDerivation(forty.url);
  results.derivationCheck = check;
  say(`generated derived values vs the service's rules: rating ${(check.ragAgree * 100).toFixed(1)}%, trend ${(check.trendAgree * 100).toFixed(1)}% of ${check.readings} readings`);
  const key = await addWriteKey(forty.url);
  const writeSet = await loadWriteSet(forty.url, forty.spec.startYear, forty.spec.quarters);

  await checkpoint();
  let svc = await startService(forty.url);
  if (only.includes('read')) await readPhase(forty, svc, key, writeSet);
  if (only.includes('write')) await writePhase(forty, twin.url, svc, writeSet, key);
  await stopChild(svc.child);

  if (WITH_PROFILE && only.includes('write')) {
    say('profile: the write path (1 client, 1,000-row batches)');
    await profiled('write 1 client x 1000', forty.url, async (s) => {
      const { batches, lo, hi } = makeBatches(writeSet, 1000, 80_000, 99);
      await serviceRun(s.base, forty.url, key, batches, 1, lo, hi);
    });
    say('profile: measure reads (32 connections)');
    const codes = await codesOf(forty.url, `select code from measures where id % 4 = 0 order by id limit 2000`);
    await profiled('measure read x32', forty.url, async (s) => {
      await load('measure', s.base, { connections: 32, seconds: 10, paths: codes.map((c) => `/v1/measures/${c}`) });
    });
  }

  if (only.includes('scale')) {
    const council = await makeSet('council');
    await checkpoint();
    svc = await startService(council.url);
    await scalePoint(SPECS.council.name, council.url, council.spec, svc, [{ batch: 100, batches: 8 }]);
    await stopChild(svc.child);
    if (fortyScale) results.scale.push(fortyScale);
    if (WITH_NATIONAL) {
      const national = await makeSet('national');
      await dropDb(server.url, twin.name);
      await checkpoint();
      svc = await startService(national.url);
      await scalePoint(SPECS.national.name, national.url, national.spec, svc, [{ batch: 100, batches: 40 }, { batch: 1000, batches: 40 }]);
      await stopChild(svc.child);
    }
  }

  results.rss = Object.fromEntries([...rss.peaks].map(([k, v]) => [k, Math.round(v / 2 ** 20)]));
  results.rssPeak = Math.round(rss.all / 2 ** 20);
  markLoad('end');
  results.machine.loadAverage = loadAt;
  results.totalSeconds = Math.round((Date.now() - startedAt) / 1000);
  const md = renderMarkdown(results);
  const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-');
  await writeFile(join(ROOT, `bench/results/${stamp}-${results.mode}.json`), JSON.stringify(results, null, 2));
  await writeFile(join(ROOT, `bench/results/${stamp}-${results.mode}.md`), md);
  await writeFile(join(ROOT, `bench/results/latest-${results.mode}.md`), md);
  if (WRITE_DOCS) {
    await writeDocs(join(ROOT, 'docs/BENCHMARKS.md'), md);
    say('docs/BENCHMARKS.md updated');
  }
  console.log('\n' + md);
  say(`done in ${results.totalSeconds} s; results in bench/results/`);
}

async function cleanup() {
  for (const c of children) await c.stop().catch(() => undefined);
  if (server) {
    for (const name of created) await dropDb(server.url, name);
    await server.stop().catch(() => undefined);
  }
}

let code = 0;
const onSignal = () => { void cleanup().finally(() => process.exit(130)); };
process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
try {
  await main();
} catch (err) {
  console.error('bench failed:', err);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);

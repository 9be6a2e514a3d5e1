// Batch ingest: the same batches through POST /v1/readings/batch (the service derives rating,
// variance and trend and keeps a revision per reading) and straight into a twin database with
// one INSERT ... SELECT FROM unnest(...) per batch (the plain-SQL ceiling). Every batch is
// new readings for a block of measures in one quarter, and each run starts where the last one
// stopped, so the service always finds the earlier quarters it compares with.
import pg from 'pg';
import { load } from './load.js';
import { keyOfQuarter, periodOfQuarter } from './generate.js';
import { cpuSince, type CpuSplit } from './processes.js';
import { withClient } from './pg.js';

export interface WriteSet {
  measures: { id: number; code: string; base: number }[];
  startYear: number;
  /** Next quarter index (from startYear-Q1) nobody has written yet. */
  nextQuarter: number;
}

export async function loadWriteSet(url: string, startYear: number, nextQuarter: number): Promise<WriteSet> {
  return withClient(url, async (c) => {
    const key = keyOfQuarter(startYear, nextQuarter);
    const r = await c.query(`select m.id, m.code, coalesce(t.value, t.min / 0.9, 100)::float8 as base
      from measures m left join targets t on t.measure_id = m.id and t.period_key = $1 order by m.id`, [key]);
    return { measures: r.rows, startYear, nextQuarter };
  });
}

interface Batch { ids: number[]; keys: number[]; values: string[]; body: string }

export interface WriteRun {
  batch: number;
  clients: number;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  p50: number;
  p99: number;
  stored: number;
  storedOk: boolean;
  rated?: number;
  errors: number;
  /** CPU used during the run (ms, from /proc): the service's process, PostgreSQL's, the bench's own (load generator or SQL client). */
  cpu?: CpuSplit;
  /** Rounds the run was split into, alternating with its twin's (see pairedRuns). */
  rounds?: number;
}

/** `minimal`: the service was asked for `Prefer: return=minimal` (counts, no echo of the readings). */
export interface WritePair { batch: number; clients: number; minimal?: boolean; service: WriteRun; sql: WriteRun | null; ratio: number | null }

// Deterministic values around each measure's target, so every rating band occurs.
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Batches of `size` readings, `rows` in all, from set.nextQuarter on; advances nextQuarter. */
export function makeBatches(set: WriteSet, size: number, rows: number, seed: number): { batches: Batch[]; lo: number; hi: number } {
  const rand = rng(seed);
  const groups = Math.floor(set.measures.length / size);
  if (groups < 1) throw new Error(`write set has ${set.measures.length} measures, fewer than a batch of ${size}`);
  const batches: Batch[] = [];
  const lo = keyOfQuarter(set.startYear, set.nextQuarter);
  let q = set.nextQuarter;
  while (batches.length * size < rows) {
    for (let g = 0; g < groups && batches.length * size < rows; g++) {
      const key = keyOfQuarter(set.startYear, q);
      const period = periodOfQuarter(set.startYear, q);
      const ms = set.measures.slice(g * size, (g + 1) * size);
      const values = ms.map((m) => (Math.round(m.base * (0.85 + rand() * 0.3) * 100) / 100).toFixed(2));
      const body = JSON.stringify({ readings: ms.map((m, i) => ({ measure: m.code, period, value: Number(values[i]) })) });
      batches.push({ ids: ms.map((m) => m.id), keys: ms.map(() => key), values, body });
    }
    q++;
  }
  set.nextQuarter = q;
  return { batches, lo, hi: keyOfQuarter(set.startYear, q - 1) };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : 0;
};

async function stored(url: string, lo: number, hi: number) {
  return withClient(url, async (c) => (await c.query(
    `select count(*)::int as n, coalesce(sum(value), 0)::text as sum, count(rag)::int as rated
     from readings where period_key between $1 and $2`, [lo, hi])).rows[0] as { n: number; sum: string; rated: number });
}

const cents = (s: string) => Math.round(Number(s) * 100);

/** `pid`: the service's process and `postmaster` PostgreSQL's, for the CPU figures; `minimal`: send `Prefer: return=minimal`. */
export interface ServiceRunOptions { minimal?: boolean; pid?: number; postmaster?: number }

interface Chunk { seconds: number; lat: number[]; okRequests: number; errors: number; cpu: CpuSplit }
const addCpu = (a: CpuSplit, b: CpuSplit): CpuSplit => ({ service: a.service + b.service, postgres: a.postgres + b.postgres, bench: a.bench + b.bench });

/** The plain-SQL path: `clients` connections each taking the next batch, one statement per batch. */
async function sqlChunk(pool: pg.Pool, batches: Batch[], clients: number, postmaster?: number): Promise<Chunk> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const cpu = cpuSince({ postmaster });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let b = batches[next++]; b; b = batches[next++]) {
      const t = performance.now();
      try {
        await pool.query(`insert into readings (measure_id, period_key, value, revision, source)
          select m, k, v, 1, 'bench-sql' from unnest($1::int[], $2::int[], $3::numeric[]) as u(m, k, v)`, [b.ids, b.keys, b.values]);
      } catch {
        errors++;
      }
      lat.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, lat, okRequests: batches.length - errors, errors, cpu: cpu() };
}

/**
 * The service path: autocannon posts each batch once, `clients` connections at a time;
 * `minimal`: with `Prefer: return=minimal` (the answer is the counts, not ~350 bytes a reading).
 */
async function serviceChunk(base: string, key: string, batches: Batch[], clients: number, opts: ServiceRunOptions): Promise<Chunk> {
  const cpu = cpuSince({ service: opts.pid, postmaster: opts.postmaster });
  const r = await load('batch', base, {
    connections: clients,
    seconds: 120,
    method: 'POST',
    paths: ['/v1/readings/batch'],
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(opts.minimal ? { prefer: 'return=minimal' } : {}) },
    bodies: batches.map((b) => b.body),
  });
  return { seconds: r.seconds, lat: r.latencies ?? [], okRequests: r.requests - r.non2xx - r.errors, errors: r.non2xx + r.errors, cpu: cpu() };
}

/** Chunks of one run, summed, and the rows stored checked against the rows sent. */
async function runOf(chunks: Chunk[], batches: Batch[], clients: number, dbUrl: string, lo: number, hi: number): Promise<WriteRun> {
  const rows = batches.reduce((n, b) => n + b.ids.length, 0);
  const size = batches[0].ids.length;
  const seconds = chunks.reduce((n, c) => n + c.seconds, 0);
  const lat = chunks.flatMap((c) => c.lat);
  const errors = chunks.reduce((n, c) => n + c.errors, 0);
  const ok = chunks.reduce((n, c) => n + c.okRequests, 0);
  const s = await stored(dbUrl, lo, hi);
  const sent = batches.reduce((n, b) => n + b.values.reduce((x, v) => x + cents(v), 0), 0);
  return {
    batch: size, clients, rows, seconds, rowsPerSec: (ok * size) / seconds, p50: pct(lat, 50), p99: pct(lat, 99),
    stored: s.n, storedOk: s.n === rows && cents(s.sum) === sent && errors === 0, rated: s.rated, errors,
    cpu: chunks.map((c) => c.cpu).reduce(addCpu), rounds: chunks.length,
  };
}

/** The service path alone, in one run. */
export async function serviceRun(base: string, dbUrl: string, key: string, batches: Batch[], clients: number, lo: number, hi: number,
  opts: ServiceRunOptions = {}): Promise<WriteRun> {
  return runOf([await serviceChunk(base, key, batches, clients, opts)], batches, clients, dbUrl, lo, hi);
}

/**
 * The same batches through both paths in `rounds` alternating rounds (plain SQL, then the
 * service, on consecutive slices of the batches), so a change in the machine's speed during
 * the run (this VM's moved by a third within minutes) falls on both sides alike; `before`
 * runs ahead of every round (a CHECKPOINT). Rates are rows over the rounds' summed time; p50
 * and p99 are over every request of every round.
 */
export async function pairedRuns(
  twinUrl: string, service: { base: string; dbUrl: string; key: string } & ServiceRunOptions,
  batches: Batch[], clients: number, lo: number, hi: number, rounds: number, before: () => Promise<void>,
): Promise<{ sql: WriteRun; service: WriteRun }> {
  // Consecutive slices, none smaller than `clients` (autocannon wants at least a request per connection).
  const per = Math.max(clients, Math.ceil(batches.length / rounds));
  const slices: Batch[][] = [];
  for (let at = 0; at < batches.length; at += per) slices.push(batches.slice(at, at + per));
  if (slices.length > 1 && slices[slices.length - 1].length < clients) slices[slices.length - 2].push(...slices.pop()!);
  const sqlChunks: Chunk[] = [];
  const serviceChunks: Chunk[] = [];
  // One pool for every round, connected before the first, as the service keeps its own: a new
  // backend's first insert also compiles the trigger functions and fills its caches.
  const pool = new pg.Pool({ connectionString: twinUrl, max: clients, idleTimeoutMillis: 0, application_name: 'scorecard-bench-sql' });
  try {
    await Promise.all(Array.from({ length: clients }, async () => (await pool.connect()).release()));
    for (const slice of slices) {
      await before();
      sqlChunks.push(await sqlChunk(pool, slice, clients, service.postmaster));
      await before();
      serviceChunks.push(await serviceChunk(service.base, service.key, slice, clients, service));
    }
  } finally {
    await pool.end();
  }
  const sql = await runOf(sqlChunks, batches, clients, twinUrl, lo, hi);
  delete sql.rated;
  return { sql, service: await runOf(serviceChunks, batches, clients, service.dbUrl, lo, hi) };
}

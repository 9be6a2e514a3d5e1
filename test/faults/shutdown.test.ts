// Graceful shutdown: on SIGTERM the request in flight finishes, new ones are refused, the pool
// and the embedded PostgreSQL close, and the process exits 0 within 10 s.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateKey } from '../../src/repositories/api-keys.js';
import { HOLD_WRITE_LOCK, sleep, waitFor } from '../helpers/hostile.js';
import { http, processAlive, startService, type HttpResult, type Service } from '../helpers/service.js';

/** Processes whose command line names the directory (postgres and its workers). */
function processesUsing(dir: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || !processAlive(Number(d))) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(dir)) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

t.test('SIGTERM: finish in flight, refuse new, close everything, exit 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scorecard-shutdown-'));
  await chmod(dir, 0o755);
  const key = generateKey();
  let svc: Service | null = null;
  let locker: pg.Client | null = null;
  t.teardown(async () => {
    await locker?.end().catch(() => undefined);
    if (svc?.alive()) await svc.crash();
    await rm(dir, { recursive: true, force: true });
  });

  // No DATABASE_URL: the service runs its own embedded PostgreSQL in DATA_DIR (and seeds it).
  svc = await startService({ DATA_DIR: dir, BOOTSTRAP_API_KEY: key, LOG_LEVEL: 'info' }, { readyTimeoutMs: 120_000 });
  const s = svc;
  const pidFile = join(dir, 'postgres', 'postmaster.pid');
  t.ok(existsSync(pidFile), 'embedded PostgreSQL is running in DATA_DIR');
  const [pmPid, , , pgPort] = (await readFile(pidFile, 'utf8')).split('\n');
  t.ok(processAlive(Number(pmPid)), `postmaster ${pmPid} is alive`);
  const password = (await readFile(join(dir, 'postgres-password'), 'utf8')).trim();

  // Make a big batch slow: hold its measures' write lock from another connection.
  locker = new pg.Client({ host: '127.0.0.1', port: Number(pgPort), user: 'postgres', password, database: 'scorecard' });
  await locker.connect();
  const codes = (await locker.query<{ code: string }>('select code from measures order by id limit 100')).rows.map((r) => r.code);
  t.ok(codes.includes('BBH-02') && codes.length === 100, 'seeded measures');
  await locker.query('begin');
  await locker.query(HOLD_WRITE_LOCK, ['BBH-02']);
  const readings = codes.flatMap((code) => [2030, 2031, 2032, 2033, 2034].flatMap((y) => [1, 2, 3, 4].map((q) => ({ measure: code, period: `${y}-${(y + 1) % 100}-Q${q}`, value: q }))));
  t.equal(readings.length, 2000);
  const slow: Promise<HttpResult> = http(s.base, 'POST', '/v1/readings/batch', { body: { readings }, headers: { authorization: `Bearer ${key}` }, timeoutMs: 20_000 });
  const lk = locker;
  // pg_stat_activity is read inside the locker's transaction: clear its snapshot at each poll.
  await waitFor('the batch to wait for the lock', async () => {
    await lk.query('select pg_stat_clear_snapshot()');
    return (await lk.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and pid <> pg_backend_pid()")).rowCount;
  }, 10_000);

  const t0 = Date.now();
  s.terminate();
  await sleep(400);
  t.ok(s.alive(), 'still running while a request is in flight');
  let refused: string;
  try {
    const r = await http(s.base, 'GET', '/health', { timeoutMs: 2000 });
    refused = `status ${r.status}`;
  } catch (err) {
    refused = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  t.ok(refused === 'ECONNREFUSED' || refused === 'status 503', `a new request is refused (${refused})`);

  await sleep(300);
  await locker.query('commit');
  await locker.end();
  locker = null;
  const res = await slow;
  t.equal(res.status, 200, 'the request in flight completes');
  t.equal(JSON.parse(res.body).written, 2000, 'and wrote its 2,000 readings');

  const exit = await Promise.race([s.exited, sleep(12_000).then(() => null)]);
  const elapsed = Date.now() - t0;
  t.ok(exit, 'the process exited');
  t.same(exit, { code: 0, signal: null }, 'with code 0');
  t.ok(elapsed < 10_000, `within 10 s of SIGTERM (${elapsed} ms)`);
  t.notOk(processAlive(Number(pmPid)), `postmaster ${pmPid} is gone`);
  t.same(processesUsing(dir), [], 'no process uses the data directory');
  t.notOk(existsSync(pidFile), 'postmaster.pid removed: PostgreSQL shut down cleanly');
  const out = s.output.join('');
  t.match(out, /shutting down: finishing requests in flight/, 'the shutdown was logged');
  t.match(out, /"msg":"stopped"/, 'and its end');
  t.notMatch(out, /"level":(50|60)/, 'no errors logged');
});

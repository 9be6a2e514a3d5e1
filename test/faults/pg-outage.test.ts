// PostgreSQL goes away under load for a few seconds: the service answers 503 problem+json
// (never 500), stays up, and recovers by itself when the database is back on the same port.
import t from 'tap';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startEmbedded, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { generateKey } from '../../src/repositories/api-keys.js';
import { sleep, waitFor } from '../helpers/hostile.js';
import { http, startService, type HttpResult, type Service } from '../helpers/service.js';

t.test('database outage: 503s, no crash, recovery without a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scorecard-outage-'));
  await chmod(dir, 0o755); // as root, embedded PostgreSQL runs as the postgres user
  const log = pino({ level: 'warn' });
  let pg: EmbeddedDatabase | null = await startEmbedded(dir, log);
  const port = Number(new URL(pg.url).port);
  const key = generateKey();
  let svc: Service | null = null;
  t.teardown(async () => {
    if (svc?.alive()) await svc.crash();
    if (pg) await pg.stop();
    await rm(dir, { recursive: true, force: true });
  });

  svc = await startService({ DATABASE_URL: pg.url, SEED: 'false', BOOTSTRAP_API_KEY: key, DB_POOL_MAX: '4' });
  const s = svc;
  const auth = { authorization: `Bearer ${key}` };
  t.equal((await http(s.base, 'PUT', '/v1/priorities/P1', { body: { title: 'Priority' }, headers: auth })).status, 201);
  for (let m = 1; m <= 4; m++) {
    t.equal((await http(s.base, 'PUT', `/v1/measures/M-${m}`, { body: { priority: 'P1', title: `M ${m}`, polarity: 'higher' }, headers: auth })).status, 201);
  }

  // Steady writes and reads from three clients throughout.
  const results: { phase: string; res: HttpResult | null; error?: string }[] = [];
  let phase = 'before';
  let stop = false;
  let n = 0;
  const client = async (c: number) => {
    while (!stop) {
      const i = n++;
      const req = i % 3 === 0
        ? http(s.base, 'GET', `/v1/measures/M-${(i % 4) + 1}/readings`, { timeoutMs: 20_000 })
        : http(s.base, 'PUT', `/v1/measures/M-${(c % 4) + 1}/readings/${2000 + (i % 90)}-${String((2001 + (i % 90)) % 100).padStart(2, '0')}-Q1`, { body: { value: i }, headers: auth, timeoutMs: 20_000 });
      const p = phase;
      // A request still in flight when the database stops belongs to the outage: it may
      // finish (200) or get a 503, like any request during it.
      const at = () => (p === 'before' && phase !== 'before' ? 'outage' : p);
      try {
        const res = await req;
        results.push({ phase: at(), res });
      } catch (err) {
        results.push({ phase: at(), res: null, error: (err as Error).message });
      }
      await sleep(20);
    }
  };
  const clients = [1, 2, 3].map(client);
  await sleep(1000);

  phase = 'outage';
  await pg.stop();
  pg = null;
  const startedOutage = Date.now();
  const ready = await waitFor('/ready to report the outage', async () => {
    const r = await http(s.base, 'GET', '/ready');
    return r.status === 503 ? r : null;
  }, 10_000);
  t.match(String(ready.headers['content-type']), /^application\/problem\+json/, '/ready: problem+json');
  t.equal(JSON.parse(ready.body).type, '/problems/service-unavailable');
  const write = await http(s.base, 'PUT', '/v1/measures/M-1/readings/2019-20-Q1', { body: { value: 1 }, headers: auth });
  t.equal(write.status, 503, 'a write during the outage is 503');
  t.match(String(write.headers['content-type']), /^application\/problem\+json/);
  t.equal(write.headers['retry-after'], '2', 'with Retry-After');
  t.equal((await http(s.base, 'GET', '/health')).status, 200, 'the process is alive and answers /health');
  await sleep(Math.max(0, 3000 - (Date.now() - startedOutage))); // a few seconds without a database
  t.ok(s.alive(), 'still running after the outage');

  phase = 'restarting';
  pg = await startEmbedded(dir, log, { port });
  t.equal(Number(new URL(pg.url).port), port, 'PostgreSQL is back on the same port');
  const backAt = Date.now();
  await waitFor('/ready to recover', async () => (await http(s.base, 'GET', '/ready')).status === 200, 15_000, 100);
  t.comment(`ready again ${Date.now() - backAt} ms after PostgreSQL came back`);
  phase = 'after';
  const after = await http(s.base, 'PUT', '/v1/measures/M-1/readings/2019-20-Q1', { body: { value: 2 }, headers: auth });
  t.ok(after.status === 200 || after.status === 201, `writes work again without restarting the service (${after.status})`);
  await sleep(1000);
  stop = true;
  await Promise.all(clients);

  const by = (p: string) => results.filter((r) => r.phase === p);
  const statuses = (p: string) => [...new Set(by(p).map((r) => r.res?.status ?? r.error))];
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(['before', 'outage', 'restarting', 'after'].map((p) => [p, statuses(p)])))}`);
  t.ok(by('before').every((r) => r.res && r.res.status < 300), 'before: all succeed');
  const during = [...by('outage'), ...by('restarting')];
  t.ok(during.some((r) => r.res?.status === 503), 'during: 503s');
  t.same(during.filter((r) => !r.res || (r.res.status >= 300 && r.res.status !== 503)).map((r) => r.res?.status ?? r.error), [], 'during: only successes (in flight before the stop) and 503s, no 500, no dropped connection');
  for (const r of during.filter((x) => x.res?.status === 503)) {
    if (!/^application\/problem\+json/.test(String(r.res!.headers['content-type']))) t.fail('a 503 without problem+json');
  }
  t.ok(by('after').length > 0 && by('after').every((r) => r.res && r.res.status < 300), 'after: all succeed again');
  t.ok(s.alive(), 'the service never exited');
  t.notMatch(s.output.join(''), /uncaught|unhandled/i, 'no uncaught errors in its output');

  s.terminate();
  t.equal((await s.exited).code, 0, 'it still shuts down cleanly');
});

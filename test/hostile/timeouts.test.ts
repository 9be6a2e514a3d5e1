// Overload: a lock held elsewhere, a slow statement or an exhausted pool is a prompt 503
// problem+json with Retry-After (never a 500, never an endless wait), and writes nothing.
import t from 'tap';
import pg from 'pg';
import { sql } from 'kysely';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, fingerprint, holdMeasureLock } from '../helpers/hostile.js';

const write = { method: 'PUT' as const, url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 5 } };
const batch = { method: 'POST' as const, url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 5 }] } };

t.test('lock_timeout: a write behind a lock held elsewhere is 503 within DB_LOCK_TIMEOUT_MS', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { DB_LOCK_TIMEOUT_MS: '500' } });
  const setting = await sql<{ lock_timeout: string }>`show lock_timeout`.execute(ta.db);
  t.equal(setting.rows[0].lock_timeout, '500ms', 'every pooled connection has the lock timeout');
  const before = await fingerprint(ta.db);
  const lock = await holdMeasureLock(ta.url);
  try {
    for (const req of [write, batch, { method: 'PUT' as const, url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { value: 1 } }]) {
      const started = Date.now();
      const res = await ta.as('admin', req);
      const ms = Date.now() - started;
      assertProblem(t, res, 503, `${req.method} ${req.url}`, { type: 'service-unavailable' });
      t.ok(ms >= 450 && ms < 2500, `answered after the lock timeout, not later (${ms} ms)`);
      t.equal(res.headers['retry-after'], '2', 'Retry-After');
      t.notMatch(res.json().detail, /55P03|lock timeout|canceling|measures/i, 'no database detail in the answer');
    }
    const read = await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02/readings/2019-20-Q2' });
    t.equal(read.statusCode, 200, 'reads do not wait for the lock');
  } finally {
    await lock.release();
  }
  t.same(await fingerprint(ta.db), before, 'nothing written');
  t.equal((await ta.as('admin', write)).statusCode, 201, 'once the lock is gone the same write succeeds');
});

t.test('statement_timeout: a statement running too long is 503', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { DB_LOCK_TIMEOUT_MS: '0', DB_STATEMENT_TIMEOUT_MS: '400' } });
  const setting = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(ta.db);
  t.equal(setting.rows[0].statement_timeout, '400ms');
  const before = await fingerprint(ta.db);
  const lock = await holdMeasureLock(ta.url); // with no lock timeout, only the statement timeout ends the wait
  try {
    const started = Date.now();
    const res = await ta.as('admin', write);
    assertProblem(t, res, 503, 'write stuck behind a lock', { type: 'service-unavailable' });
    t.ok(Date.now() - started < 2500, `prompt (${Date.now() - started} ms)`);
  } finally {
    await lock.release();
  }
  t.same(await fingerprint(ta.db), before, 'nothing written');
});

t.test('an exhausted pool is 503 after the connection wait, not a queue without end', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { DB_LOCK_TIMEOUT_MS: '3000' }, pool: { poolMax: 1, connectionTimeoutMs: 300, lockTimeoutMs: 3000 } });
  const lock = await holdMeasureLock(ta.url);
  let first;
  try {
    first = ta.as('admin', write); // takes the only connection and waits for the lock
    await lock.waiter();
    const started = Date.now();
    const read = await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-03' });
    assertProblem(t, read, 503, 'a read while the pool is exhausted', { type: 'service-unavailable' });
    t.ok(Date.now() - started < 2000, `answered after the connection wait (${Date.now() - started} ms)`);
    const ready = await ta.app.inject({ method: 'GET', url: '/ready' });
    assertProblem(t, ready, 503, '/ready while the pool is exhausted');
  } finally {
    await lock.release();
  }
  t.equal((await first).statusCode, 201, 'the write holding the connection completes');
  t.equal((await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-03' })).statusCode, 200, 'and the pool serves again');
});

t.test('under pressure (event loop blocked) the service sheds load with 503, then recovers', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  t.equal((await ta.app.inject({ method: 'GET', url: '/v1/priorities' })).statusCode, 200);
  // Block the event loop in long slices: each event-loop-delay sample is then ~2.3 s, above the 2 s limit.
  for (let slice = 0; slice < 2; slice++) {
    const until = Date.now() + 2300;
    while (Date.now() < until) { /* busy */ }
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 0)); // let the sampler read the histogram
  const shed = await ta.app.inject({ method: 'GET', url: '/v1/priorities' });
  assertProblem(t, shed, 503, 'request while overloaded', { type: 'service-unavailable', detail: /overloaded/ });
  t.equal(shed.headers['retry-after'], '5');
  const before = await fingerprint(ta.db);
  assertProblem(t, await ta.as('admin', write), 503, 'a write while overloaded');
  t.same(await fingerprint(ta.db), before, 'the shed write wrote nothing');
  await new Promise((r) => setTimeout(r, 2200)); // two quiet samples
  t.equal((await ta.app.inject({ method: 'GET', url: '/v1/priorities' })).statusCode, 200, 'recovered by itself');
});

t.test('request and connection timeouts are set on the HTTP server', async (t) => {
  const ta = await buildTestApp(t, { env: { REQUEST_TIMEOUT_MS: '1234' } });
  await ta.app.listen({ port: 0, host: '127.0.0.1' });
  t.equal(ta.app.server.requestTimeout, 1234, 'requestTimeout from REQUEST_TIMEOUT_MS');
  t.equal(ta.app.server.timeout, 1234 + 5000, 'idle socket timeout');
  t.ok(ta.app.server.headersTimeout > 0 && ta.app.server.headersTimeout <= 60_000, 'headers timeout set');
  const def = await buildTestApp(t);
  t.equal((def.app.initialConfig as { requestTimeout?: number }).requestTimeout, 60_000, 'a default of 60 s');
});

// POST /v1/readings/batch through the write gate: with WRITE_CONCURRENCY=1 and
// WRITE_QUEUE_MAX=1, one batch runs, one waits, a third is a 503 problem+json with
// Retry-After; the waiting one runs once the first commits.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, holdMeasureLock } from '../helpers/hostile.js';

const batch = (period: string) => ({
  method: 'POST' as const, url: '/v1/readings/batch',
  payload: { readings: [{ measure: 'BBH-02', period, value: 40 }, { measure: 'BBH-03', period, value: 70 }] },
});

t.test('beyond WRITE_CONCURRENCY batches wait; beyond WRITE_QUEUE_MAX they are refused with 503', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { WRITE_CONCURRENCY: '1', WRITE_QUEUE_MAX: '1' } });
  const lock = await holdMeasureLock(ta.url);
  const first = ta.as('write', batch('2019-20-Q3'));
  // The first holds the only slot, blocked on the write lock held elsewhere.
  await lock.waiter();
  const second = ta.as('write', batch('2019-20-Q4'));
  await new Promise((r) => setTimeout(r, 100));
  const third = await ta.as('write', batch('2020-21-Q1'));
  assertProblem(t, third, 503, 'a third batch while one runs and one waits', { type: 'service-unavailable' });
  t.equal(third.headers['retry-after'], '1', 'with Retry-After');
  t.equal(await lock.waiting(), 1, 'the second batch waits in the gate, not on a database lock');

  await lock.release();
  t.equal((await first).statusCode, 200, 'the first completes once the lock is free');
  t.equal((await second).statusCode, 200, 'the waiting one runs after it');
  t.equal((await ta.as('write', batch('2020-21-Q1'))).statusCode, 200, 'a slot is free again');
});

t.test('reads are not gated', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { WRITE_CONCURRENCY: '1', WRITE_QUEUE_MAX: '0' } });
  const lock = await holdMeasureLock(ta.url);
  const first = ta.as('write', batch('2019-20-Q3'));
  await lock.waiter();
  t.equal((await ta.as('read', { method: 'GET', url: '/v1/measures/BBH-02' })).statusCode, 200);
  assertProblem(t, await ta.as('write', batch('2019-20-Q4')), 503, 'no queue at all', { type: 'service-unavailable' });
  await lock.release();
  t.equal((await first).statusCode, 200);
});

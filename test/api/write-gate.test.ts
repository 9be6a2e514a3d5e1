// POST /v1/readings/batch through the write gate: with WRITE_CONCURRENCY=1 and
// WRITE_QUEUE_MAX=1, one batch runs, one waits, a third is a 503 problem+json with
// Retry-After; the waiting one runs once the first commits.
import t from 'tap';
import pg from 'pg';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, HOLD_WRITE_LOCK, waitFor } from '../helpers/hostile.js';

const batch = (period: string) => ({
  method: 'POST' as const, url: '/v1/readings/batch',
  payload: { readings: [{ measure: 'BBH-02', period, value: 40 }, { measure: 'BBH-03', period, value: 70 }] },
});

t.test('beyond WRITE_CONCURRENCY batches wait; beyond WRITE_QUEUE_MAX they are refused with 503', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { WRITE_CONCURRENCY: '1', WRITE_QUEUE_MAX: '1' } });
  const locker = new pg.Client({ connectionString: ta.url });
  await locker.connect();
  t.teardown(() => locker.end());
  await locker.query('begin');
  await locker.query(HOLD_WRITE_LOCK, ['BBH-02']);

  const first = ta.as('write', batch('2019-20-Q3'));
  // The first holds the only slot, blocked on the measure row the locker holds.
  await waitFor('the first batch to wait for the measure write lock', async () => {
    const { rows } = await locker.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()");
    return rows.length > 0;
  }, 5000);
  const second = ta.as('write', batch('2019-20-Q4'));
  await new Promise((r) => setTimeout(r, 100));
  const third = await ta.as('write', batch('2020-21-Q1'));
  assertProblem(t, third, 503, 'a third batch while one runs and one waits', { type: 'service-unavailable' });
  t.equal(third.headers['retry-after'], '1', 'with Retry-After');
  const { rows: waiting } = await locker.query("select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()");
  t.equal(waiting[0].n, 1, 'the second batch waits in the gate, not on a database lock');

  await locker.query('commit');
  t.equal((await first).statusCode, 200, 'the first completes once the row is free');
  t.equal((await second).statusCode, 200, 'the waiting one runs after it');
  t.equal((await ta.as('write', batch('2020-21-Q1'))).statusCode, 200, 'a slot is free again');
});

t.test('reads are not gated', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { WRITE_CONCURRENCY: '1', WRITE_QUEUE_MAX: '0' } });
  const locker = new pg.Client({ connectionString: ta.url });
  await locker.connect();
  t.teardown(() => locker.end());
  await locker.query('begin');
  await locker.query(HOLD_WRITE_LOCK, ['BBH-02']);
  const first = ta.as('write', batch('2019-20-Q3'));
  await waitFor('the first batch to wait for the measure write lock', async () => {
    const { rows } = await locker.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()");
    return rows.length > 0;
  }, 5000);
  t.equal((await ta.as('read', { method: 'GET', url: '/v1/measures/BBH-02' })).statusCode, 200);
  assertProblem(t, await ta.as('write', batch('2019-20-Q4')), 503, 'no queue at all', { type: 'service-unavailable' });
  await locker.query('commit');
  t.equal((await first).statusCode, 200);
});

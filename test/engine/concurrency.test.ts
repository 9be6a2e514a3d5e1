import t from 'tap';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { createDatabase } from '../../src/db/database.js';
import { buildTestApp, defineMeasure } from '../helpers/app.js';
import { staleReadings } from '../helpers/recompute.js';
import { holdMeasureLock, sleep, waitFor } from '../helpers/hostile.js';

t.test('24 clients writing one reading over two service instances: one reading, one revision per change', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  // A second instance of the service on the same database, with its own pool.
  const second = createDatabase({ url: ta.url, poolMax: 8 });
  const app2 = await buildApp({ config: ta.config, db: second.db });
  t.teardown(async () => { await app2.close(); await second.db.destroy(); });
  const auth = { authorization: `Bearer ${ta.keys.write}` };

  const same = await Promise.all(Array.from({ length: 24 }, (_, i) =>
    (i % 2 ? app2 : ta.app).inject({ method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q2', headers: auth, payload: { value: 7, target: 5 } })));
  t.same([...new Set(same.map((r) => r.statusCode))].sort(), [200, 201], 'one create, the rest unchanged');
  t.equal(same.filter((r) => r.statusCode === 201).length, 1);
  const revisions = async () => (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2/revisions?limit=100' })).json().items as { revision: number; reading: { value: number } }[];
  t.same((await revisions()).map((r) => r.revision), [1], 'the same body 24 times is one revision');

  const distinct = await Promise.all(Array.from({ length: 24 }, (_, i) =>
    (i % 2 ? app2 : ta.app).inject({ method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q2', headers: auth, payload: { value: 100 + i } })));
  t.same([...new Set(distinct.map((r) => r.statusCode))], [200], 'no 5xx, no lost update');
  const all = await revisions();
  t.same(all.map((r) => r.revision), Array.from({ length: 25 }, (_, i) => i + 1), 'one revision per change, numbered without gaps');
  t.same(new Set(all.slice(1).map((r) => r.reading.value)), new Set(Array.from({ length: 24 }, (_, i) => 100 + i)), 'each revision holds the value it was written with');
  const rows = await ta.db.selectFrom('readings').selectAll().execute();
  t.equal(rows.length, 1);
  t.equal(rows[0].revision, 25);
  t.equal(Number(rows[0].value), all[24].reading.value, 'the current reading is the last revision');
});

t.test('overlapping batches in opposite orders neither deadlock into a 5xx nor split', async (t) => {
  // All 16 transactions at once (the write gate would otherwise run two at a time).
  const ta = await buildTestApp(t, { env: { WRITE_CONCURRENCY: '16' } });
  const codes = Array.from({ length: 20 }, (_, i) => `C${i}`);
  for (const c of codes) await defineMeasure(ta, c);
  const auth = { authorization: `Bearer ${ta.keys.write}` };
  const batch = (order: string[], v: number, period: string) => ta.app.inject({
    method: 'POST', url: '/v1/readings/batch', headers: auth,
    payload: { readings: order.map((measure) => ({ measure, period, value: v, target: 10 })) },
  });
  const reversed = [...codes].reverse();
  const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
    batch(i % 2 ? codes : reversed, i, ['2019-20-Q1', '2019-20-Q2'][i % 4 < 2 ? 0 : 1])));
  t.same([...new Set(results.map((r) => r.statusCode))], [200]);
  // Every batch is all-or-nothing: within a period, all measures carry one batch's value.
  for (const period of [20191, 20192]) {
    const values = await ta.db.selectFrom('readings').select('value').where('period_key', '=', period).execute();
    t.equal(values.length, 20);
    t.equal(new Set(values.map((v) => v.value)).size, 1, `period ${period}: one batch's values throughout`);
  }
  t.same(await staleReadings(ta.db), [], 'derived values are consistent after the race');
});

t.test('a measure moved to another priority while a batch waits: the batch retries under the new priority\'s lock', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1', {}, 'P1');
  await defineMeasure(ta, 'M2', {}, 'P2');
  const p2 = await holdMeasureLock(ta.url, 'M2');
  const p1 = await holdMeasureLock(ta.url, 'M1');
  const waiting = p2.waiting;
  let done = false;
  const batch = ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'M1', period: '2019-20-Q2', value: 3 }] } })
    .finally(() => { done = true; });
  await waitFor('the batch to wait for P1', async () => (await waiting()) === 1);
  await sql`update measures set priority_id = (select id from priorities where code = 'P2') where code = 'M1'`.execute(ta.db);
  await p1.release();
  await waitFor('the batch to wait again, now for P2', async () => (await waiting()) === 1 && !done);
  await sleep(200);
  t.equal(done, false, 'it waits for the lock of the priority the measure is in now');
  await p2.release();
  const res = await batch;
  t.equal(res.statusCode, 200);
  t.equal(res.json().written, 1);
  const stored = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.equal(stored.value, 3);
});

t.test('remembered lock keys are re-checked: a measure moved or re-created since is locked and written as it is now', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1', {}, 'P1');
  await defineMeasure(ta, 'M2', {}, 'P2');
  await defineMeasure(ta, 'M3', {}, 'P1');
  const post = (readings: unknown[]) => ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings } });
  t.equal((await post([{ measure: 'M1', period: '2019-20-Q1', value: 1 }, { measure: 'M3', period: '2019-20-Q1', value: 1 }])).statusCode, 200, 'M1 and M3 remembered');

  // Moved to P2 behind the service's back, while P2's lock is held: the next batch must wait for P2.
  await sql`update measures set priority_id = (select id from priorities where code = 'P2') where code = 'M1'`.execute(ta.db);
  const p2 = await holdMeasureLock(ta.url, 'M2');
  let done = false;
  const moved = post([{ measure: 'M1', period: '2019-20-Q2', value: 2 }]).finally(() => { done = true; });
  await sleep(400);
  t.equal(done, false, 'it waits for the lock of the priority M1 is in now, not the one remembered');
  await p2.release();
  t.equal((await moved).statusCode, 200);

  // Removed and created again under the same code: a new id; the batch writes the new measure.
  await sql`delete from readings where measure_id = (select id from measures where code = 'M3')`.execute(ta.db);
  await sql`delete from measures where code = 'M3'`.execute(ta.db);
  await defineMeasure(ta, 'M3', {}, 'P1');
  const again = await post([{ measure: 'M3', period: '2019-20-Q2', value: 5 }]);
  t.equal(again.statusCode, 200);
  t.equal(again.json().written, 1);
  const { rows } = await sql<{ n: string }>`select count(*) as n from readings r join measures m on m.id = r.measure_id where m.code = 'M3'`.execute(ta.db);
  t.equal(Number(rows[0].n), 1, 'stored against the measure as it is now');
});

t.test('a measure change racing a move to another priority waits for the new priority\'s lock', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1', {}, 'P1');
  await defineMeasure(ta, 'M2', {}, 'P2');
  t.equal((await ta.as('write', { method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q2', payload: { value: 3, target: 4 } })).statusCode, 201);
  const p1 = await holdMeasureLock(ta.url, 'M1');
  let done = false;
  const patch = ta.as('admin', { method: 'PATCH', url: '/v1/measures/M1', payload: { polarity: 'lower' } }).finally(() => { done = true; });
  await p1.waiter();
  // Moved behind the service's back while the PATCH waits for P1; P2 is busy.
  await sql`update measures set priority_id = (select id from priorities where code = 'P2') where code = 'M1'`.execute(ta.db);
  const p2 = await holdMeasureLock(ta.url, 'M2');
  await p1.release();
  await sleep(400);
  t.equal(done, false, 'the PATCH waits for the lock of the priority M1 is in now');
  await p2.release();
  const res = await patch;
  t.equal(res.statusCode, 200);
  const reading = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.equal(reading.rag, 'HG', 're-derived as lower-is-better: 3 against 4 is 25% better');
});

// Retries with an Idempotency-Key write once: a replay returns the stored answer, another body
// under the same key is 422, a retry while the first is still running is 409.
import t from 'tap';
import pg from 'pg';
import { sql } from 'kysely';
import type { InjectOptions } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { KEPT_VERSIONS } from '../helpers/recompute.js';
import { assertProblem, HOLD_WRITE_LOCK, count, fingerprint, waitFor } from '../helpers/hostile.js';

const items = [
  { measure: 'BBH-02', period: '2019-20-Q3', value: 40, commentary: 'first' },
  { measure: 'BBH-03', period: '2019-20-Q3', value: 70 },
];
const post = (key: string | null, body: unknown, extra: Record<string, string> = {}): InjectOptions => ({
  method: 'POST', url: '/v1/readings/batch', payload: body as object,
  headers: { ...(key === null ? {} : { 'idempotency-key': key }), ...extra },
});

async function revisionsOf(db: Parameters<typeof count>[0], code: string, periodKey: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.raw(KEPT_VERSIONS)} r join measures m on m.id = r.measure_id
    where m.code = ${code} and r.period_key = ${periodKey}`.execute(db);
  return rows[0].n;
}

t.test('same key and body: the stored answer, written once', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const first = await ta.as('write', post('retry-1', { readings: items }));
  t.equal(first.statusCode, 200);
  t.equal(first.headers['idempotent-replayed'], undefined, 'the first is not a replay');
  t.equal(first.json().written, 2);
  t.equal(first.headers['content-type'], 'application/json; charset=utf-8', 'the answer sent as bytes is JSON');
  const after = await fingerprint(ta.db);
  for (let i = 0; i < 3; i++) {
    const again = await ta.as('write', post('retry-1', { readings: items }));
    t.equal(again.statusCode, 200, `retry ${i + 1}: 200`);
    t.equal(again.headers['idempotent-replayed'], 'true', `retry ${i + 1}: marked as a replay`);
    t.equal(again.body, first.body, `retry ${i + 1}: the stored answer, byte for byte the same`);
    t.equal(again.headers['content-type'], first.headers['content-type']);
  }
  // Key order and whitespace are not a different request.
  const reordered = JSON.stringify({ readings: items.map((it) => Object.fromEntries(Object.entries(it).reverse())) }, null, 2);
  const same = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: reordered, headers: { 'content-type': 'application/json', 'idempotency-key': 'retry-1' } });
  t.equal(same.statusCode, 200, 'the same body with its keys in another order is the same request');
  t.equal(same.headers['idempotent-replayed'], 'true');
  t.same(await fingerprint(ta.db), after, 'the retries wrote nothing');
  t.equal(await revisionsOf(ta.db, 'BBH-02', 20193), 1, 'one revision of the reading');
  const got = (await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02/readings/2019-20-Q3' })).json();
  t.equal(got.revision, 1, 'its revision stays 1');
  t.equal(await count(ta.db, 'idempotency_keys'), 1);

  // Keys belong to the API key that used them: another client's same key is its own request.
  const other = await ta.as('admin', post('retry-1', { readings: [{ ...items[0], value: 41 }] }));
  t.equal(other.statusCode, 200, "another API key's 'retry-1' is not this one's");
  t.equal(other.headers['idempotent-replayed'], undefined);
});

t.test('same key with another body is 422 and writes nothing', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  t.equal((await ta.as('write', post('k-422', { readings: items }))).statusCode, 200);
  const before = await fingerprint(ta.db);
  const variants: [string, unknown][] = [
    ['another value', { readings: [{ ...items[0], value: 41 }, items[1]] }],
    ['one item fewer', { readings: [items[0]] }],
    ['the same items as a dry run', { readings: items, dryRun: true }],
    ['items in another order', { readings: [items[1], items[0]] }],
  ];
  for (const [name, body] of variants) {
    assertProblem(t, await ta.as('write', post('k-422', body)), 422, name, { type: 'unprocessable-content', detail: /Idempotency-Key/ });
  }
  t.same(await fingerprint(ta.db), before, 'nothing written');
});

t.test('a refused request does not use up its key; bad keys are 400', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const bad = await ta.as('write', post('k-fix', { readings: [{ measure: 'NOPE-1', period: '2019-20-Q3', value: 1 }] }));
  assertProblem(t, bad, 422, 'unknown measure under a key', { field: '/body/readings/0/measure' });
  t.equal(await count(ta.db, 'idempotency_keys'), 0, 'the refusal stored no answer');
  const fixed = await ta.as('write', post('k-fix', { readings: items }));
  t.equal(fixed.statusCode, 200, 'the corrected batch under the same key runs');
  t.equal(fixed.headers['idempotent-replayed'], undefined);

  const dry = await ta.as('write', post('k-dry', { readings: items, dryRun: true }));
  t.equal(dry.statusCode, 200);
  t.equal(await count(ta.db, 'idempotency_keys'), 1, 'a dry run stores no answer');

  const before = await fingerprint(ta.db);
  assertProblem(t, await ta.as('write', post('x'.repeat(201), { readings: items })), 400, 'a 201-character key', { field: /idempotency-key/ });
  assertProblem(t, await ta.as('write', post('', { readings: items })), 400, 'an empty key', { field: /idempotency-key/ });
  t.same(await fingerprint(ta.db), before);
});

t.test('while the first is in flight, a retry is 409; afterwards a replay', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const locker = new pg.Client({ connectionString: ta.url });
  await locker.connect();
  t.teardown(() => locker.end());
  await locker.query('begin');
  await locker.query(HOLD_WRITE_LOCK, ['BBH-02']);

  const firstP = ta.as('write', post('slow-1', { readings: items }));
  // The first has claimed the key (its advisory lock) and now waits for the measure's write lock.
  await waitFor('the first request to hold the key', async () => {
    const { rows } = await locker.query("select 1 from pg_locks where locktype = 'advisory' and granted");
    return rows.length > 0;
  }, 5000);
  const second = await ta.as('write', post('slow-1', { readings: items }));
  const p = assertProblem(t, second, 409, 'the retry while the first runs', { type: 'conflict' });
  t.equal(second.headers['retry-after'], '1', 'with Retry-After');
  t.match(p?.detail, /in progress/);
  const different = await ta.as('write', post('slow-1', { readings: [items[0]] }));
  t.equal(different.statusCode, 409, 'even with another body: the key is busy');
  t.equal(await revisionsOf(ta.db, 'BBH-02', 20193), 0, 'nothing is written yet');

  await locker.query('commit');
  const first = await firstP;
  t.equal(first.statusCode, 200, 'the first completes once the lock is released');
  t.equal(first.headers['idempotent-replayed'], undefined);
  const third = await ta.as('write', post('slow-1', { readings: items }));
  t.equal(third.headers['idempotent-replayed'], 'true', 'a later retry is a replay');
  t.equal(await revisionsOf(ta.db, 'BBH-02', 20193), 1, 'written once');
});

t.test('a burst of identical retries writes once', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const body = { readings: Array.from({ length: 200 }, (_, i) => ({ measure: 'BBH-02', period: `${2030 + Math.floor(i / 4)}-${31 + Math.floor(i / 4)}-Q${(i % 4) + 1}`, value: i })) };
  const all = await Promise.all(Array.from({ length: 12 }, () => ta.as('write', post('burst', body))));
  const statuses = all.map((r) => r.statusCode);
  t.ok(statuses.every((s) => s === 200 || s === 409), `only 200 or 409: ${statuses.join(',')}`);
  const fresh = all.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] !== 'true');
  t.equal(fresh.length, 1, 'exactly one request did the work');
  for (const r of all.filter((x) => x.statusCode === 200)) t.same(r.json(), fresh[0].json(), 'every 200 carries the same answer');
  const { rows } = await sql<{ n: number; max: number }>`select count(*)::int as n, max(revision)::int as max from ${sql.raw(KEPT_VERSIONS)} r
    join measures m on m.id = r.measure_id where m.code = 'BBH-02' and r.period_key >= 20300`.execute(ta.db);
  t.same(rows[0], { n: 200, max: 1 }, '200 readings, one revision each');
});

t.test('an answer encoded in several slices is byte for byte the stored answer', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const codes = (await sql<{ code: string }>`select code from measures order by code`.execute(ta.db)).rows.map((r) => r.code);
  const readings = ['2020-21-Q1', '2020-21-Q2', '2020-21-Q3', '2020-21-Q4'].flatMap((period, p) =>
    codes.map((measure, i) => ({ measure, period, value: ((i * 7 + p) % 40) + 0.25, ...(i % 5 ? {} : { commentary: `"quoted" \\ é ${i}` }) })));
  t.ok(readings.length > 2 * 200, `${readings.length} readings: three slices or more`);
  const first = await ta.as('write', post('slices', { readings }));
  t.equal(first.statusCode, 200);
  t.equal(first.json().readings.length, readings.length);
  const again = await ta.as('write', post('slices', { readings }));
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.body, first.body, 'the sliced encoding equals the serializer run on the whole answer');
  // The answer is stored as the bytes that were sent (no second encoding): the same document, é and quotes included.
  const { rows: [stored] } = await sql<{ body: unknown }>`select response_body as body from idempotency_keys where idempotency_key = 'slices'`.execute(ta.db);
  t.same(stored.body, JSON.parse(first.body), 'the stored answer is the one sent');
});

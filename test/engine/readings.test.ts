import t from 'tap';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

const put = (period: string, payload: unknown, code = 'M1') => ({ method: 'PUT' as const, url: `/v1/measures/${code}/readings/${period}`, payload: payload as object });

t.test('a reading is stored with its rating, variance and trend', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const q1 = await ta.as('write', put('2019-20-Q1', { value: 100, target: 100 }));
  t.equal(q1.statusCode, 201);
  t.match(q1.json(), { value: 100, target: 100, rag: 'LG', computedRag: 'LG', variance: 0, trend: null, revision: 1, source: 'test-writer' });
  const q2 = await ta.as('write', put('2019-20-Q2', { value: 114, target: 120, numerator: 114, denominator: 1000, commentary: 'slipped' }));
  t.equal(q2.statusCode, 201);
  t.match(q2.json(), {
    measure: 'M1', period: '2019-20-Q2', value: 114, numerator: 114, denominator: 1000, status: null, target: 120,
    rag: 'A', computedRag: 'A', ragReason: null, variance: -0.05, trend: 'improving',
    trendComparedWith: { period: '2019-20-Q1', value: 100 }, commentary: 'slipped', revision: 1,
  });
  const got = await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' });
  t.same(got.json(), q2.json(), 'GET returns what PUT returned');
  t.equal(got.headers.etag, q2.headers.etag);
});

t.test('0.285 against 0.3 is exactly 5% off: Amber, not Low Red', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const r = await ta.as('write', put('2019-20-Q2', { value: 0.285, target: 0.3 }));
  t.match(r.json(), { rag: 'A', variance: -0.05 });
});

t.test('idempotent: the same body again makes no new revision', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const first = await ta.as('write', put('2019-20-Q2', { value: 5, target: 4, commentary: 'c' }));
  const again = await ta.as('write', put('2019-20-Q2', { value: 5, target: 4, commentary: 'c' }));
  t.equal(again.statusCode, 200);
  t.same(again.json(), first.json(), 'identical, updatedAt included');
  const revs = await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2/revisions' });
  t.equal(revs.json().items.length, 1);
  const changed = await ta.as('write', put('2019-20-Q2', { value: 6 }));
  t.match(changed.json(), { value: 6, revision: 2, commentary: 'c', target: 4 }, 'omitted commentary and target are kept');
  const revs2 = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2/revisions' })).json();
  t.same(revs2.items.map((r: { revision: number; reading: { value: number } }) => [r.revision, r.reading.value]), [[1, 5], [2, 6]]);
});

t.test('history: each revision as it was written, through re-derivation and target changes', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const url = '/v1/measures/M1/readings/2019-20-Q2';
  const list = async (q = '') => (await ta.app.inject({ method: 'GET', url: `${url}/revisions${q}` })).json().items as
    { revision: number; reading: { value: number; rag: string | null; target: unknown; trend: string | null; updatedAt: string } }[];
  const first = (await ta.as('write', put('2019-20-Q2', { value: 10, target: 10 }))).json();
  t.same((await list()).map((r) => r.reading), [first], 'revision 1 is the current row');
  // A late Q1 reading re-derives Q2's trend; a new Q2 target re-derives its rating: neither is a new revision.
  await ta.as('write', put('2019-20-Q1', { value: 8 }));
  t.equal((await ta.as('admin', { method: 'PUT', url: '/v1/measures/M1/targets/2019-20-Q2', payload: { value: 20 } })).statusCode, 200);
  const now = (await ta.app.inject({ method: 'GET', url })).json();
  t.match(now, { revision: 1, trend: 'improving', rag: 'HR', target: 20 }, 'the current row is re-derived');
  t.same((await list()).map((r) => r.reading), [first], 'revision 1 is still listed as written: no trend, LG against 10');
  const second = (await ta.as('write', put('2019-20-Q2', { value: 21 }))).json();
  t.match(second, { revision: 2, rag: 'HG', target: 20 });
  const all = await list();
  t.same(all.map((r) => r.reading), [first, second], 'revision 1 as written, revision 2 current');
  t.same((await list('?limit=1')).map((r) => r.revision), [1], 'paged');
  const cursorPage = (await ta.app.inject({ method: 'GET', url: `${url}/revisions?limit=1` })).json();
  const next = (await ta.app.inject({ method: 'GET', url: `${url}/revisions?limit=1&cursor=${cursorPage.nextCursor}` })).json();
  t.same(next.items.map((r: { revision: number }) => r.revision), [2], 'the next page holds the current revision');
});

t.test('If-Match: a stale ETag is 412 and writes nothing', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const a = await ta.as('write', put('2019-20-Q2', { value: 1 }));
  const etag = a.headers.etag as string;
  const ok = await ta.as('write', { ...put('2019-20-Q2', { value: 2 }), headers: { 'if-match': etag } });
  t.equal(ok.statusCode, 200);
  const stale = await ta.as('write', { ...put('2019-20-Q2', { value: 3 }), headers: { 'if-match': etag } });
  t.equal(stale.statusCode, 412);
  t.match(stale.headers['content-type'], /problem\+json/);
  const now = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.equal(now.value, 2);
  const missing = await ta.as('write', { ...put('2019-20-Q3', { value: 3 }), headers: { 'if-match': '*' } });
  t.equal(missing.statusCode, 412, 'If-Match: * needs an existing reading');
});

t.test('overrides sit beside the computed rating; null removes them', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const o = await ta.as('write', put('2019-20-Q2', { value: 24, target: 22, ragOverride: { rag: 'A', reason: 'survey margin' } }));
  t.match(o.json(), { rag: 'A', computedRag: 'HG', ragOverride: { rag: 'A', reason: 'survey margin' } });
  const blank = await ta.as('write', put('2019-20-Q2', { value: 24, ragOverride: { rag: 'A', reason: '   ' } }));
  t.equal(blank.statusCode, 400);
  const kept = await ta.as('write', put('2019-20-Q2', { value: 25 }));
  t.match(kept.json(), { rag: 'A', computedRag: 'HG' }, 'omitted override is kept');
  const removed = await ta.as('write', put('2019-20-Q2', { value: 25, ragOverride: null }));
  t.match(removed.json(), { rag: 'HG', computedRag: 'HG', ragOverride: null });
});

t.test('statuses, MI-only, baseline and missing targets are not rated, with the reason', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  await defineMeasure(ta, 'MI', { managementInfoOnly: true });
  t.match((await ta.as('write', put('2019-20-Q1', { status: 'not_due' }))).json(), { rag: null, ragReason: 'status_reported', value: null, status: 'not_due' });
  t.match((await ta.as('write', put('2019-20-Q2', { value: 3 }))).json(), { rag: null, ragReason: 'no_target' });
  t.equal((await ta.as('admin', { method: 'PUT', url: '/v1/measures/M1/targets/2019-20-Q3', payload: { rule: 'baseline' } })).statusCode, 200);
  t.match((await ta.as('write', put('2019-20-Q3', { value: 3 }))).json(), { rag: null, ragReason: 'baseline', target: { rule: 'baseline' } });
  t.match((await ta.as('write', put('2019-20-Q2', { value: 3, target: 1 }, 'MI'))).json(), { rag: null, ragReason: 'management_info_only' });
  const both = await ta.as('write', put('2019-20-Q4', { value: 3, status: 'not_due' }));
  t.equal(both.statusCode, 400);
  t.match(both.json().errors, [{ field: '/body', message: 'send exactly one of value or status' }]);
});

t.test('late data and revised targets re-derive the readings that depend on them', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  await ta.as('write', put('2019-20-Q2', { value: 10, target: 10 }));
  let q2 = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.equal(q2.trend, null, 'no earlier reading yet');

  await ta.as('write', put('2019-20-Q1', { value: 12 }));
  q2 = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.match(q2, { trend: 'declining', trendComparedWith: { period: '2019-20-Q1', value: 12 }, revision: 1 }, 'a late Q1 re-derives Q2 without a new revision');

  const target = await ta.as('admin', { method: 'PUT', url: '/v1/measures/M1/targets/2019-20-Q2', payload: { value: 12, reason: 'mid-year review' } });
  t.equal(target.statusCode, 200);
  t.match(target.json(), { period: '2019-20-Q2', target: 12, revision: 2, reason: 'mid-year review' });
  t.same(target.json().history.map((h: { target: number }) => h.target), [10, 12], 'the old target is kept in history');
  q2 = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.match(q2, { target: 12, rag: 'HR', variance: -0.166666666667 });

  const flipped = await ta.as('admin', { method: 'PATCH', url: '/v1/measures/M1', payload: { polarity: 'lower' } });
  t.equal(flipped.statusCode, 200);
  q2 = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.match(q2, { rag: 'HG', trend: 'improving' }, 'a polarity change re-derives rating and trend');
});

t.test('year-on-year reduction targets follow last year\'s revised actual', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1', { polarity: 'lower' });
  await ta.as('admin', { method: 'PUT', url: '/v1/measures/M1/targets/2019-20-Q2', payload: { rule: 'year_on_year_reduction' } });
  let r = (await ta.as('write', put('2019-20-Q2', { value: 36 }))).json();
  t.match(r, { rag: null, ragReason: 'no_comparator_last_year' });
  await ta.as('write', put('2018-19-Q2', { value: 61 }));
  r = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.match(r, { rag: 'HG', target: { rule: 'year_on_year_reduction' } });
  await ta.as('write', put('2018-19-Q2', { value: 35 }));
  r = (await ta.app.inject({ method: 'GET', url: '/v1/measures/M1/readings/2019-20-Q2' })).json();
  t.match(r, { rag: 'A', variance: -0.028571428571 }, 'revising last year re-rates this year');
});

t.test('batch: all or nothing, with every failing index', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  await defineMeasure(ta, 'M2');
  const bad = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [
    { measure: 'M1', period: '2019-20-Q1', value: 1 },
    { measure: 'M1', period: '2019-20-Q1', value: 2 },
    { measure: 'NOPE', period: '2019-20-Q1', value: 1 },
    { measure: 'M2', period: '2019-21-Q1', value: 1 },
    { measure: 'M2', period: '2019-20-Q2', value: 1e-20, status: 'not_due' },
  ] } });
  t.equal(bad.statusCode, 422);
  t.same(bad.json().errors.map((e: { field: string }) => e.field).sort(), [
    '/body/readings/1', '/body/readings/3/period', '/body/readings/4',
  ].sort(), 'item checks come first; unknown measures are reported when items are valid');
  const count = async () => Number((await ta.db.selectFrom('readings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  t.equal(await count(), 0, 'nothing written');

  const unknown = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [
    { measure: 'M1', period: '2019-20-Q1', value: 1 }, { measure: 'NOPE', period: '2019-20-Q1', value: 1 },
  ] } });
  t.equal(unknown.statusCode, 422);
  t.same(unknown.json().errors, [{ field: '/body/readings/1/measure', message: "measure 'NOPE' does not exist" }]);
  t.equal(await count(), 0);

  const dry = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { dryRun: true, readings: [
    { measure: 'M1', period: '2019-20-Q1', value: 9, target: 10 }, { measure: 'M1', period: '2019-20-Q2', value: 11, target: 10 },
  ] } });
  t.equal(dry.statusCode, 200);
  t.match(dry.json(), { dryRun: true, written: 2, readings: [{ rag: 'LR', variance: -0.1 }, { rag: 'HG', trend: 'improving' }] });
  t.equal(await count(), 0, 'a dry run stores nothing');
  t.equal(Number((await ta.db.selectFrom('targets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n), 0);

  const ok = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [
    { measure: 'M1', period: '2019-20-Q1', value: 9, target: 10 }, { measure: 'M1', period: '2019-20-Q2', value: 11, target: 10 },
  ] } });
  t.same(ok.json().readings, dry.json().readings.map((r: object) => ({ ...r, updatedAt: ok.json().readings[0].updatedAt })), 'the dry run showed what is stored');
  t.equal(await count(), 2);
});

t.test('values finer than 20 decimal places are refused, not stored to fail later', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const reading = await ta.as('write', put('2019-20-Q2', { value: 1e-120 }));
  t.equal(reading.statusCode, 400);
  t.match(reading.json().errors, [{ field: '/body/value', message: 'has more than 20 decimal places' }]);
  const target = await ta.as('admin', { method: 'PUT', url: '/v1/measures/M1/targets/2019-20-Q2', payload: { min: 1e-120, max: 1 } });
  t.equal(target.statusCode, 400);
  t.equal((await ta.as('write', put('2019-20-Q2', { value: 0.5 }))).statusCode, 201, 'the period stays writable');
});

t.test('creating the same measure from many clients at once: one 201, no 5xx', async (t) => {
  const ta = await buildTestApp(t);
  await ta.as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'P' } });
  const res = await Promise.all(Array.from({ length: 12 }, () =>
    ta.as('admin', { method: 'PUT', url: '/v1/measures/NEW', payload: { priority: 'P1', title: 'New', polarity: 'lower' } })));
  t.same(res.map((r) => r.statusCode).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
});

t.test("a target's reason can be cleared; a reading's own target leaves it alone", async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const url = '/v1/measures/M1/targets/2019-20-Q2';
  await ta.as('admin', { method: 'PUT', url, payload: { value: 5, reason: 'agreed at cabinet' } });
  await ta.as('write', put('2019-20-Q2', { value: 4, target: 5 }));
  let tg = (await ta.as('admin', { method: 'PUT', url, payload: { value: 5, reason: 'agreed at cabinet' } })).json();
  t.match(tg, { reason: 'agreed at cabinet', revision: 1 }, 'the same target sent with a reading is no change');
  tg = (await ta.as('admin', { method: 'PUT', url, payload: { value: 5, reason: null } })).json();
  t.match(tg, { reason: null, revision: 2 });
});

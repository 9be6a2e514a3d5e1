// Malformed paths, periods, codes, bands, paging and sizes: 4xx problem+json, nothing written.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, count, refuse } from '../helpers/hostile.js';

const reading = (code: string, period: string, value: unknown = 1): InjectOptions =>
  ({ method: 'PUT', url: `/v1/measures/${code}/readings/${period}`, payload: { value } as object });
const batch = (items: object[]): InjectOptions => ({ method: 'POST', url: '/v1/readings/batch', payload: { readings: items } });

t.test('impossible periods', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const bad = ['2019-21-Q2', '2019-20-Q5', '2019-20-Q0', '2019-19', '2019-2020', '19-20', '2019-20-q2', '2019-20-Q2x', '２０１９-20', '2019-20-Q', '+2019-20'];
  await refuse(t, ta, [
    ...bad.map((p) => ({ name: `PUT reading ${p}`, req: reading('BBH-02', encodeURIComponent(p)), status: 400, field: '/params/period' })),
    ...bad.map((p) => ({ name: `GET reading ${p}`, req: { method: 'GET' as const, url: `/v1/measures/BBH-02/readings/${encodeURIComponent(p)}` }, status: 400, field: '/params/period' })),
    { name: 'PUT target 2019-21', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-21', payload: { value: 1 } }, status: 400, field: '/params/period' },
    { name: 'batch item 2019-21-Q2', req: batch([{ measure: 'BBH-02', period: '2019-21-Q2', value: 1 }]), status: [400, 422], field: '/body/readings/0/period' },
    { name: 'batch item 2019-20-Q5', req: batch([{ measure: 'BBH-02', period: '2019-20-Q5', value: 1 }]), status: 400, field: '/body/readings/0/period' },
    { name: 'batch item period as a number', req: batch([{ measure: 'BBH-02', period: 201920, value: 1 }]), status: 400, field: '/body/readings/0/period' },
  ]);
  // 1999-00 is a real financial year (the second half wraps): accepted.
  const wrap = await ta.as('admin', reading('BBH-02', '1999-00-Q4'));
  t.equal(wrap.statusCode, 201, '1999-00-Q4 is a valid period');
});

t.test('codes too long or with odd characters', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const odd = ['BBH 02', 'BBH/02', 'BBH-02;drop table measures', "BBH-02'--", 'BBH–02', 'BBH-02%00', 'ÄÖÜ', '<script>', 'a'.repeat(65), '😀'];
  await refuse(t, ta, [
    ...odd.map((c) => ({ name: `PUT measure '${c.slice(0, 20)}'`, req: { method: 'PUT' as const, url: `/v1/measures/${encodeURIComponent(c)}`, payload: { priority: 'BBH', title: 'x', polarity: 'higher' } }, status: 400, field: '/params/code' })),
    ...odd.map((c) => ({ name: `PUT reading of '${c.slice(0, 20)}'`, req: reading(encodeURIComponent(c), '2019-20-Q3'), status: 400, field: '/params/code' })),
    ...odd.map((c) => ({ name: `GET measure '${c.slice(0, 20)}'`, req: { method: 'GET' as const, url: `/v1/measures/${encodeURIComponent(c)}` }, status: 400, field: '/params/code' })),
    { name: 'NUL in a path code', req: { method: 'GET', url: '/v1/measures/BBH%0002' }, status: 400 },
    { name: 'priority code in a measure body', req: { method: 'PUT', url: '/v1/measures/NEW-1', payload: { priority: 'BB H', title: 'x', polarity: 'higher' } }, status: 400, field: '/body/priority' },
    { name: 'batch measure code too long', req: batch([{ measure: 'M'.repeat(65), period: '2019-20-Q3', value: 1 }]), status: 400, field: '/body/readings/0/measure' },
    { name: 'batch measure code with a quote', req: batch([{ measure: "BBH-02'", period: '2019-20-Q3', value: 1 }]), status: 400, field: '/body/readings/0/measure' },
    { name: 'unknown measure', req: reading('NOPE-99', '2019-20-Q3'), status: 404, type: 'not-found' },
    { name: 'measure under an unknown priority', req: { method: 'PUT', url: '/v1/measures/NEW-1', payload: { priority: 'NOPE', title: 'x', polarity: 'higher' } }, status: [400, 404, 422], field: '/body/priority' },
  ]);
});

t.test('min above max', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  await refuse(t, ta, [
    { name: 'target band min 10 max 5', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { min: 10, max: 5 } }, status: 400, field: '/body', detail: /min 10 is above max 5/ },
    { name: 'target band negative', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { min: -1, max: -2 } }, status: 400, field: '/body' },
    { name: 'reading target band min 10 max 5', req: { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 7, target: { min: 10, max: 5 } } }, status: 400, field: '/body/target' },
    { name: 'reading target band missing max', req: { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 7, target: { min: 10 } } }, status: 400, field: /^\/body\/target/ },
    { name: 'reading target band with extra key', req: { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 7, target: { min: 1, max: 5, mid: 3 } } }, status: 400, field: /^\/body\/target/ },
    { name: 'batch item band min 10 max 5', req: batch([{ measure: 'BBH-02', period: '2019-20-Q3', value: 7, target: { min: 10, max: 5 } }]), status: [400, 422], field: '/body/readings/0/target' },
  ]);
  const equal = await ta.as('admin', { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { min: 5, max: 5 } });
  t.equal(equal.statusCode, 200, 'min equal to max is a valid band');
});

t.test('paging: limit out of range and forged cursors', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const lists = ['/v1/priorities', '/v1/measures', '/v1/measures/BBH-02/readings', '/v1/measures/BBH-02/targets', '/v1/measures/BBH-02/readings/2019-20-Q2/revisions'];
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const badLimits = ['0', '-1', '501', '1.5', 'abc', '1e3', '', '99999999999999999999', '[1]'];
  const forged = [
    'not-a-cursor!', b64('{"v":1'), b64({ v: 2, k: [1] }), b64({ v: 1, k: [] }), b64({ v: 1, k: [1, 2, 3] }), b64({ v: 1, k: ['1; drop table readings'] }),
    b64({ v: 1, k: [1e300] }), b64({ v: 1, k: [-1.5] }), b64({ v: 1, k: [null] }), b64({ v: 1, k: [{}] }), b64({ v: 1, k: ['x'.repeat(300)] }),
    b64({ v: 1, k: ['2019-21-Q2'] }), b64({ v: 1, k: [2 ** 53] }), 'A'.repeat(600), b64('null'), b64([1]),
  ];
  const cases = [];
  for (const url of lists) {
    for (const l of badLimits) cases.push({ name: `${url} limit=${l}`, req: { method: 'GET' as const, url: `${url}?limit=${encodeURIComponent(l)}` }, status: 400, field: /^\/querystring/ });
    cases.push({ name: `${url} limit twice`, req: { method: 'GET' as const, url: `${url}?limit=1&limit=2` }, status: 400 });
    for (const c of forged) cases.push({ name: `${url} cursor ${c.slice(0, 24)}`, req: { method: 'GET' as const, url: `${url}?cursor=${encodeURIComponent(c)}` }, status: 400, field: '/querystring/cursor' });
    cases.push({ name: `${url} cursor naming a period that does not exist`, req: { method: 'GET' as const, url: `${url}?limit=1&cursor=${b64({ v: 1, k: ['z'] })}` }, status: 400 });
  }
  cases.push(
    { name: 'NUL in a search (PostgreSQL text cannot hold it)', req: { method: 'GET' as const, url: '/v1/measures?q=a%00b' }, status: 400 },
    { name: 'NUL in a filter code', req: { method: 'GET' as const, url: '/v1/measures?priority=%00' }, status: 400 },
    { name: 'boolean filter as a word', req: { method: 'GET' as const, url: '/v1/measures?headline=yes' }, status: 400 },
    { name: 'search over 200 characters', req: { method: 'GET' as const, url: `/v1/measures?q=${'a'.repeat(201)}` }, status: 400 },
  );
  await refuse(t, ta, cases);
  // A cursor the API issued still works.
  const first = (await ta.app.inject({ method: 'GET', url: '/v1/measures?limit=2' })).json();
  t.equal(first.items.length, 2);
  const next = await ta.app.inject({ method: 'GET', url: `/v1/measures?limit=2&cursor=${first.nextCursor}` });
  t.equal(next.statusCode, 200, 'a real cursor is accepted');
  t.not(next.json().items[0].code, first.items[0].code, 'and moves on');
});

t.test('sizes: bodies over the limit are 413, batches over 5,000 items 400', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { BODY_LIMIT: String(256 * 1024) } });
  const big = JSON.stringify({ value: 1, commentary: 'x'.repeat(300 * 1024) });
  const item = (i: number) => ({ measure: 'BBH-02', period: `${2000 + Math.floor(i / 4)}-${String((2001 + Math.floor(i / 4)) % 100).padStart(2, '0')}-Q${(i % 4) + 1}`, value: 1 });
  const before = await count(ta.db, 'readings');
  await refuse(t, ta, [
    { name: 'reading body over BODY_LIMIT', req: { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', headers: { 'content-type': 'application/json' }, payload: big }, status: 413, type: 'payload-too-large' },
    { name: 'batch body over BODY_LIMIT', req: { method: 'POST', url: '/v1/readings/batch', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ readings: Array.from({ length: 6000 }, (_, i) => item(i)) }) }, status: 413 },
    { name: 'commentary over 20,000 characters', req: { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 1, commentary: 'x'.repeat(20_001) } }, status: 400, field: '/body/commentary' },
  ]);
  const ta2 = await buildTestApp(t, { seed: true });
  await refuse(t, ta2, [
    { name: '5,001 items', req: batch(Array.from({ length: 5001 }, (_, i) => item(i))), status: 400, field: '/body/readings', detail: /5000/ },
  ]);
  t.equal(await count(ta.db, 'readings'), before);
  const max = await ta2.as('admin', { ...batch(Array.from({ length: 5000 }, (_, i) => item(i))) });
  t.equal(max.statusCode, 200, 'exactly 5,000 items is accepted');
  t.equal(max.json().written, 5000);
});

t.test("Fastify's framework errors go through the problem handler", async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const cases = [
    { name: 'path parameter over 200 characters', url: `/v1/measures/${'A'.repeat(250)}`, status: 414, type: 'uri-too-long' },
    { name: 'path parameter over 200 on a PUT', url: `/v1/measures/${'A'.repeat(250)}/readings/2019-20-Q2`, status: 414, method: 'PUT' as const },
    { name: 'unknown path with a long segment', url: `/v1/${'z'.repeat(300)}`, status: 414 },
    { name: 'malformed percent-encoding %E0%A4%A', url: '/v1/measures/%E0%A4%A', status: 400 },
    { name: 'lone %', url: '/v1/measures/%', status: 400 },
    { name: 'invalid UTF-8 in the path %FF', url: '/v1/measures/%FF', status: 400 },
    { name: 'malformed query encoding', url: '/v1/measures?q=%E0%A4%A', status: [200, 400] },
    { name: 'no such path', url: '/v1/nothing/here', status: 404, type: 'not-found' },
    { name: 'no such method', url: '/v1/measures', status: 405, method: 'DELETE' as const, type: 'method-not-allowed' },
  ];
  for (const c of cases) {
    const res = await ta.as('admin', { method: c.method ?? 'GET', url: c.url, ...(c.method === 'PUT' ? { payload: { value: 1 } } : {}) });
    if (res.statusCode === 200) {
      t.pass(`${c.name}: answered 200`);
      continue;
    }
    assertProblem(t, res, c.status, c.name, { type: c.type });
  }
});

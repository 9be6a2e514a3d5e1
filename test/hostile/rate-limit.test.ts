// Per-key rate limits: 429 problem+json with Retry-After, one bucket per key, failed
// authentication limited per address (it must not be a way around the limit), health exempt.
import t from 'tap';
import { generateKey } from '../../src/repositories/api-keys.js';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, fingerprint } from '../helpers/hostile.js';

const MAX = 5;

t.test('each key has its own budget; over it is 429 with Retry-After', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { RATE_LIMIT_MAX: String(MAX) } });
  for (let i = 1; i <= MAX; i++) {
    const res = await ta.as('read', { method: 'GET', url: '/v1/measures/BBH-02' });
    t.equal(res.statusCode, 200, `read ${i} of ${MAX}`);
    t.equal(res.headers['x-ratelimit-limit'], String(MAX));
    t.equal(res.headers['x-ratelimit-remaining'], String(MAX - i));
  }
  const over = await ta.as('read', { method: 'GET', url: '/v1/measures/BBH-02' });
  assertProblem(t, over, 429, 'read over the limit', { type: 'too-many-requests', detail: /5 requests per minute/ });
  const retry = Number(over.headers['retry-after']);
  t.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After is whole seconds within the window (${retry})`);

  // Another key is not affected; health and readiness are never limited.
  t.equal((await ta.as('write', { method: 'GET', url: '/v1/measures/BBH-02' })).statusCode, 200, 'the write key has its own budget');
  for (let i = 0; i < MAX * 2; i++) {
    t.equal((await ta.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    t.equal((await ta.app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
  }
});

t.test('a limited write writes nothing', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { RATE_LIMIT_MAX: String(MAX) } });
  for (let i = 0; i < MAX; i++) {
    const res = await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: i } });
    t.equal(res.statusCode, i === 0 ? 201 : 200);
  }
  const before = await fingerprint(ta.db);
  const over = await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 99 } });
  assertProblem(t, over, 429, 'write over the limit', { type: 'too-many-requests' });
  const batch = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q4', value: 1 }] } });
  assertProblem(t, batch, 429, 'batch over the limit');
  t.same(await fingerprint(ta.db), before, 'nothing written');
  const got = (await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02/readings/2019-20-Q3' })).json();
  t.equal(got.value, MAX - 1, 'the last allowed value is stored');
});

t.test('failing authentication is limited per address: random keys are no way around the limit', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { RATE_LIMIT_MAX: String(MAX) } });
  const statuses: number[] = [];
  for (let i = 0; i < MAX + 3; i++) {
    const res = await ta.app.inject({ method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' }, headers: { authorization: `Bearer ${generateKey()}` } });
    statuses.push(res.statusCode);
    if (res.statusCode === 429) assertProblem(t, res, 429, 'guessing keys', { type: 'too-many-requests' });
  }
  t.same(statuses, [...Array(MAX).fill(401), 429, 429, 429], 'five guesses, then 429');

  const ta2 = await buildTestApp(t, { seed: true, env: { RATE_LIMIT_MAX: String(MAX) } });
  const anon: number[] = [];
  for (let i = 0; i < MAX + 2; i++) {
    anon.push((await ta2.app.inject({ method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' } })).statusCode);
  }
  t.same(anon, [...Array(MAX).fill(401), 429, 429], 'writes without a key: limited per address too');
  // A client with a valid key from the same address still has its own budget.
  t.equal((await ta2.as('admin', { method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' } })).statusCode, 201);
  const forbidden: number[] = [];
  for (let i = 0; i < MAX + 1; i++) {
    forbidden.push((await ta2.as('read', { method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' } })).statusCode);
  }
  t.same(forbidden, [...Array(MAX).fill(403), 429], "a key's 403s count against that key");
});

t.test('RATE_LIMIT_MAX=0 turns the limit off', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { RATE_LIMIT_MAX: '0' } });
  for (let i = 0; i < 20; i++) t.equal((await ta.as('read', { method: 'GET', url: '/v1/priorities' })).statusCode, 200);
  t.equal((await ta.as('read', { method: 'GET', url: '/v1/priorities' })).headers['x-ratelimit-limit'], undefined);
});

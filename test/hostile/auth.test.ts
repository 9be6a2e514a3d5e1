// Nobody in who does not belong: missing, unknown, malformed, revoked and expired keys are
// 401, a key without the scope is 403, the database is unchanged, and keys never reach a log.
import t from 'tap';
import pg from 'pg';
import type { InjectOptions } from 'fastify';
import { generateKey, insertKey, revokeKey } from '../../src/repositories/api-keys.js';
import { buildTestApp } from '../helpers/app.js';
import { assertProblem, HOLD_WRITE_LOCK, captureLogger, fingerprint, sleep, waitFor } from '../helpers/hostile.js';

const WRITES: InjectOptions[] = [
  { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 40 } },
  { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 40 }] } },
  { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { value: 50 } },
  { method: 'PUT', url: '/v1/measures/NEW-1', payload: { priority: 'BBH', title: 'New', polarity: 'higher' } },
  { method: 'PATCH', url: '/v1/measures/BBH-02', payload: { title: 'Renamed' } },
  { method: 'PUT', url: '/v1/priorities/NEW', payload: { title: 'New' } },
];
const ADMIN_ONLY = new Set(['/v1/measures/BBH-02/targets/2019-20-Q3', '/v1/measures/NEW-1', '/v1/measures/BBH-02', '/v1/priorities/NEW']);

t.test('keys that do not let anyone in', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const unknown = generateKey();
  const revoked = generateKey();
  const expired = generateKey();
  await insertKey(ta.db, revoked, 'revoked-writer', 'admin');
  t.equal(await revokeKey(ta.db, 'revoked-writer'), 1, 'revoked');
  await insertKey(ta.db, expired, 'expired-writer', 'admin', new Date(Date.now() - 1000));
  const auths: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['unknown key', { authorization: `Bearer ${unknown}` }],
    ['revoked key', { authorization: `Bearer ${revoked}` }],
    ['expired key', { authorization: `Bearer ${expired}` }],
    ['a real key with one character changed', { authorization: `Bearer ${ta.keys.admin.slice(0, -1)}${ta.keys.admin.endsWith('A') ? 'B' : 'A'}` }],
    ['a real key with a suffix', { authorization: `Bearer ${ta.keys.admin}x` }],
    ['a real key as Basic', { authorization: `Basic ${ta.keys.admin}` }],
    ['a bare key without a scheme', { authorization: ta.keys.admin }],
    ['Bearer and nothing', { authorization: 'Bearer ' }],
    ['two keys', { authorization: `Bearer ${ta.keys.read} ${ta.keys.admin}` }],
    ['a very long key', { authorization: `Bearer ${'k'.repeat(4000)}` }],
    ['SQL in the key', { authorization: "Bearer ' OR 1=1 --" }],
    ['the key hash instead of the key', { authorization: `Bearer ${(await ta.db.selectFrom('api_keys').select('hash').where('name', '=', 'test-admin').executeTakeFirstOrThrow()).hash}` }],
  ];
  const before = await fingerprint(ta.db);
  for (const req of WRITES) {
    for (const [name, headers] of auths) {
      const res = await ta.app.inject({ ...req, headers });
      assertProblem(t, res, 401, `${req.method} ${req.url}, ${name}`, { type: 'unauthorized' });
      t.match(res.headers['www-authenticate'], /^Bearer realm=/, `${name}: challenge`);
    }
    const reader = await ta.as('read', req);
    assertProblem(t, reader, 403, `${req.method} ${req.url} with a read key`, { type: 'forbidden' });
    if (ADMIN_ONLY.has(String(req.url))) {
      assertProblem(t, await ta.as('write', req), 403, `${req.method} ${req.url} with a write key (admin only)`, { type: 'forbidden' });
    }
  }
  // A key that is sent on a public read is still checked.
  for (const [name, headers] of auths.slice(1, 4)) {
    assertProblem(t, await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02', headers }), 401, `public read with ${name}`);
  }
  t.same(await fingerprint(ta.db), before, 'the database is unchanged');

  // The same writes with the right keys go through (so the refusals above were about the key).
  t.equal((await ta.as('write', WRITES[0])).statusCode, 201, 'a write key writes readings');
  t.equal((await ta.as('admin', WRITES[5])).statusCode, 201, 'an admin key writes priorities');
});

t.test('expiry and revocation take effect at once', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const soon = generateKey();
  const expiresAt = new Date(Date.now() + 1000);
  await insertKey(ta.db, soon, 'short-lived', 'write', expiresAt);
  const later = generateKey();
  await insertKey(ta.db, later, 'to-be-revoked', 'write', new Date(Date.now() + 3_600_000));
  const put = (key: string, value: number): InjectOptions =>
    ({ method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value }, headers: { authorization: `Bearer ${key}` } });
  t.equal((await ta.app.inject(put(soon, 1))).statusCode, 201, 'before expiry: allowed');
  t.equal((await ta.app.inject(put(later, 2))).statusCode, 200, 'not yet revoked: allowed');
  t.equal(await revokeKey(ta.db, 'to-be-revoked'), 1);
  const before = await fingerprint(ta.db);
  assertProblem(t, await ta.app.inject(put(later, 3)), 401, 'the next request after revocation');
  await sleep(expiresAt.getTime() - Date.now() + 50);
  assertProblem(t, await ta.app.inject(put(soon, 5)), 401, 'after expiry');
  t.same(await fingerprint(ta.db), before, 'nothing written after revocation or expiry');
  const stored = (await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02/readings/2019-20-Q3' })).json();
  t.equal(stored.value, 2, 'the last allowed write is what is stored');
  t.equal(stored.revision, 2);
});

t.test('keys are never logged, whatever the outcome', async (t) => {
  const { logger, lines } = captureLogger();
  const ta = await buildTestApp(t, { seed: true, logger, env: { RATE_LIMIT_MAX: '4', DB_LOCK_TIMEOUT_MS: '300' } });
  const revoked = generateKey();
  await insertKey(ta.db, revoked, 'gone', 'write');
  await revokeKey(ta.db, 'gone');
  const unknown = generateKey();
  const secrets = [ta.keys.admin, ta.keys.write, ta.keys.read, revoked, unknown];
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

  // Successes, 400s, 401s, 403s, 404s, 415, 429 and a 503 from a lock timeout (logged with its error).
  await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 1 } });
  await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 'x' } });
  await ta.as('read', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q3', payload: { value: 1 } });
  await ta.as('admin', { method: 'GET', url: '/v1/measures/NOPE' });
  await ta.as('admin', { method: 'PUT', url: '/v1/priorities/X', payload: 'title=x', headers: { 'content-type': 'text/plain' } });
  await ta.app.inject({ method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' }, headers: bearer(revoked) });
  await ta.app.inject({ method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' }, headers: bearer(unknown) });
  await ta.app.inject({ method: 'GET', url: '/v1/priorities', headers: { authorization: `Basic ${ta.keys.admin}` } });
  await ta.app.inject({ method: 'GET', url: `/v1/measures/${'A'.repeat(250)}`, headers: bearer(ta.keys.admin) });
  let limited = 0;
  for (let i = 0; i < 6; i++) {
    if ((await ta.app.inject({ method: 'GET', url: '/v1/priorities', headers: bearer(ta.keys.read) })).statusCode === 429) limited++;
  }
  t.ok(limited > 0, 'the rate limit was hit');

  const locker = new pg.Client({ connectionString: ta.url });
  await locker.connect();
  try {
    await locker.query('begin');
    // Hold the measure's write lock (the advisory lock every writer takes, src/repositories/write-store.ts).
    await locker.query(HOLD_WRITE_LOCK, ['BBH-02']);
    const busy = await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q4', payload: { value: 1 } });
    t.equal(busy.statusCode, 503, 'a lock timeout is a 503');
  } finally {
    await locker.query('rollback');
    await locker.end();
  }

  await waitFor('log lines', () => lines.some((l) => l.includes('"status":503')), 2000);
  t.ok(lines.length >= 15, `lines were captured (${lines.length})`);
  t.ok(lines.some((l) => /"status":401/.test(l)), 'the 401s were logged');
  t.ok(lines.some((l) => /request failed/.test(l)), 'the 503 was logged with its error');
  for (const [i, s] of secrets.entries()) {
    const secretPart = s.slice(12); // the first 12 characters are the key's public prefix
    const hits = lines.filter((l) => l.includes(secretPart));
    t.same(hits, [], `key ${i} appears in no log line`);
  }
  t.notOk(lines.some((l) => /authorization/i.test(l) && !/redacted/.test(l)), 'no Authorization header is logged');
});

t.test('READ_ACCESS=key: a cached answer is never served to a caller without a valid key', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { READ_ACCESS: 'key' } });
  const url = '/v1/measures/BBH-02';
  const first = await ta.as('read', { method: 'GET', url });
  const second = await ta.as('read', { method: 'GET', url });
  t.equal(first.statusCode, 200);
  t.equal(second.statusCode, 200, `served again (${second.headers['x-cache'] ?? 'not from a cache'})`);
  const revoked = generateKey();
  await insertKey(ta.db, revoked, 'gone-reader', 'read');
  await revokeKey(ta.db, 'gone-reader');
  for (const [name, headers] of [['no key', {}], ['unknown key', { authorization: `Bearer ${generateKey()}` }], ['revoked key', { authorization: `Bearer ${revoked}` }]] as const) {
    const res = await ta.app.inject({ method: 'GET', url, headers });
    assertProblem(t, res, 401, `${name} on a cached read`, { type: 'unauthorized' });
    t.notMatch(res.body, /"polarity"|homes/, `${name}: none of the data`);
    t.equal(res.headers['x-cache'], undefined, `${name}: not from the cache`);
  }
});

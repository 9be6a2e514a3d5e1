import t from 'tap';
import { buildApp } from '../../src/app.js';
import { ChangeFeed } from '../../src/db/change-feed.js';
import { createDatabase } from '../../src/db/database.js';
import { buildTestApp } from '../helpers/app.js';

// Identical concurrent misses run once: the others wait for the first one's response.
t.test('N concurrent identical GETs run the statements once', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const { db, pool } = createDatabase({ url: ta.url, poolMax: 10 });
  const changes = new ChangeFeed(ta.url);
  await changes.start();
  const app = await buildApp({ config: ta.config, db, changes });
  t.teardown(async () => { await app.close(); await changes.close(); await db.destroy(); });
  let checkouts = 0;
  pool.on('acquire', () => { checkouts++; });

  const N = 10;
  const url = '/v1/rollups/2019-20-Q2';
  const all = await Promise.all(Array.from({ length: N }, () => app.inject({ method: 'GET', url })));
  t.ok(all.every((r) => r.statusCode === 200), 'all answered');
  t.equal(checkouts, 1, `one computation (one pool checkout) for ${N} requests`);
  t.equal(all.filter((r) => r.headers['x-cache'] === undefined).length, 1, 'one request computed');
  t.equal(all.filter((r) => r.headers['x-cache'] === 'shared').length, N - 1, 'the others shared its response');
  t.ok(all.every((r) => r.body === all[0].body && r.headers.etag === all[0].headers.etag), 'identical bodies and ETags');

  // Different keys are not coalesced.
  checkouts = 0;
  const two = await Promise.all(['/v1/rollups/2019-20-Q1', '/v1/priorities/BBH/rollups/2019-20-Q1'].map((u) => app.inject({ method: 'GET', url: u })));
  t.ok(two.every((r) => r.statusCode === 200));
  t.equal(checkouts, 2, 'one computation per key');

  // A failed first computation lets each waiter compute its own (and answer like it).
  checkouts = 0;
  const missing = await Promise.all(Array.from({ length: 3 }, () => app.inject({ method: 'GET', url: '/v1/priorities/NOPE/rollups/2019-20-Q2' })));
  t.ok(missing.every((r) => r.statusCode === 404), 'every waiter gets the 404');
  t.equal(checkouts, 3, 'an uncacheable answer is not shared');

  // A write between two bursts: the second burst recomputes (one flight per generation).
  const before = changes.generation;
  const put = await ta.as('write', { method: 'PUT', url: '/v1/measures/BBH-01/readings/2019-20-Q2', payload: { value: 1 } });
  t.ok(put.statusCode < 300, `write ${put.statusCode}`);
  for (let i = 0; i < 100 && changes.generation === before; i++) await new Promise((r) => setTimeout(r, 10));
  checkouts = 0;
  const again = await Promise.all(Array.from({ length: N }, () => app.inject({ method: 'GET', url })));
  t.equal(checkouts, 1, 'recomputed once after the change');
  t.equal(again.filter((r) => r.headers['x-cache'] === undefined).length, 1, 'not the entry of before the change');
});

// Council-wide rollups are built at most two at a time; the permits must come back after
// every answer (success, error, 304), or later requests would hang.
t.test('council-wide rollups queue for a permit and always give it back', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const periods = ['2019-20-Q1', '2019-20-Q2', '2019-20-Q3', '2019-20-Q4', '2019-20', '2018-19-Q4'];
  for (let round = 0; round < 3; round++) {
    const all = await Promise.all(periods.map((p) => ta.app.inject({ method: 'GET', url: `/v1/rollups/${p}` })));
    t.same(all.map((r) => r.statusCode), periods.map(() => 200), `round ${round}: all answered`);
    const etag = all[1].headers.etag as string;
    const again = await ta.app.inject({ method: 'GET', url: `/v1/rollups/${periods[1]}`, headers: { 'if-none-match': etag } });
    t.equal(again.statusCode, 304);
  }
  const bad = await Promise.all([1, 2, 3].map(() => ta.app.inject({ method: 'GET', url: '/v1/rollups/2019-21' })));
  t.same(bad.map((r) => r.statusCode), [400, 400, 400]);
  const after = await Promise.race([
    ta.app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q2' }).then((r) => r.statusCode),
    new Promise((r) => setTimeout(() => r('timed out'), 10_000)),
  ]);
  t.equal(after, 200, 'a permit is still free after all that');
});

// Clients that give up while their council-wide rollup waits for a permit (autocannon does
// this at the end of every run) must not keep the permit: the next request is answered.
t.test('a council-wide rollup abandoned while queued gives its permit back', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const address = await ta.app.listen({ port: 0, host: '127.0.0.1' });
  for (const ms of [5, 15, 30, 60]) {
    // Ten at once (two build, eight queue), all abandoned after `ms`.
    await Promise.all(Array.from({ length: 10 }, () => new Promise<void>((resolve) => {
      const ctl = new AbortController();
      fetch(`${address}/v1/rollups/2019-20?working=true`, { signal: ctl.signal }).then((r) => r.arrayBuffer()).catch(() => undefined).finally(resolve);
      setTimeout(() => ctl.abort(), ms);
    })));
  }
  const res = await Promise.race([
    fetch(`${address}/v1/rollups/2019-20-Q2`).then((r) => r.status),
    new Promise((r) => setTimeout(() => r('timed out'), 15_000)),
  ]);
  t.equal(res, 200, 'answered after abandoned requests');
});

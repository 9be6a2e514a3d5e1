import t from 'tap';
import { buildApp } from '../../src/app.js';
import { ChangeFeed } from '../../src/db/change-feed.js';
import { createDatabase } from '../../src/db/database.js';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

t.test('GET responses are cached until a change commits on any instance', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const instances = await Promise.all([1, 2].map(async () => {
    const { db } = createDatabase({ url: ta.url, poolMax: 4 });
    const changes = new ChangeFeed(ta.url);
    await changes.start();
    const app = await buildApp({ config: ta.config, db, changes });
    t.teardown(async () => { await app.close(); await changes.close(); await db.destroy(); });
    return { app, changes };
  }));
  const [a, b] = instances;
  const auth = { authorization: `Bearer ${ta.keys.write}` };
  const read = () => a.app.inject({ method: 'GET', url: '/v1/measures/M1/readings?limit=10' });

  const first = await read();
  t.equal(first.headers['x-cache'], undefined, 'first read computes');
  const second = await read();
  t.equal(second.headers['x-cache'], 'hit', 'second read is served from cache');
  t.equal(second.body, first.body);
  t.equal(second.headers.etag, first.headers.etag);

  // A write on instance A: A's next read is fresh at once.
  const own = await a.app.inject({ method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q1', headers: auth, payload: { value: 1 } });
  t.equal(own.statusCode, 201);
  const afterOwn = await read();
  t.equal(afterOwn.headers['x-cache'], undefined);
  t.same(afterOwn.json().items.map((r: { value: number }) => r.value), [1]);

  // A write on instance B reaches A through the notification.
  await read();
  t.equal((await read()).headers['x-cache'], 'hit');
  const gen = a.changes.generation;
  await b.app.inject({ method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q1', headers: auth, payload: { value: 2 } });
  for (let i = 0; i < 100 && a.changes.generation === gen; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(a.changes.generation > gen, 'the commit on B was notified to A');
  const afterOther = await read();
  t.equal(afterOther.headers['x-cache'], undefined);
  t.same(afterOther.json().items.map((r: { value: number }) => r.value), [2], 'A serves the value B wrote');

  // If-None-Match still works on a cached entry.
  const etag = afterOther.headers.etag as string;
  const notModified = await a.app.inject({ method: 'GET', url: '/v1/measures/M1/readings?limit=10', headers: { 'if-none-match': etag } });
  t.equal(notModified.statusCode, 304);
});

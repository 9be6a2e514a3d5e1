// Keys found active are remembered per instance, but only while nothing in api_keys changes
// (notified to every instance) and until their own expiry: a revocation anywhere locks the key
// out everywhere, and an instance that is not listening looks every key up.
import t, { type Test } from 'tap';
import pg from 'pg';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ChangeFeed } from '../../src/db/change-feed.js';
import { createDatabase } from '../../src/db/database.js';
import { generateKey, insertKey, revokeKey } from '../../src/repositories/api-keys.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/hostile.js';

async function instance(t: Test, ta: TestApp): Promise<{ app: FastifyInstance; changes: ChangeFeed }> {
  const { db } = createDatabase({ url: ta.url, poolMax: 2 });
  const changes = new ChangeFeed(ta.url);
  await changes.start();
  const app = await buildApp({ config: { ...ta.config, READ_ACCESS: 'key' }, db, changes });
  t.teardown(async () => { await app.close(); await changes.close(); await db.destroy(); });
  return { app, changes };
}

/** Runs a change to api_keys and waits until every instance has heard of it. */
async function changeKeys(instances: { changes: ChangeFeed }[], change: () => Promise<unknown>) {
  const before = instances.map((i) => i.changes.keysGeneration);
  await change();
  await waitFor('every instance to hear of the api_keys change', () => instances.every((i, n) => i.changes.keysGeneration > before[n]), 5000);
}

const read = (app: FastifyInstance, key: string) =>
  app.inject({ method: 'GET', url: '/v1/priorities', headers: { authorization: `Bearer ${key}` } }).then((r) => r.statusCode);

/** Changes a key's row without the notification (session_replication_role skips triggers). */
async function silently(url: string, statement: string, params: unknown[]) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`);
    await c.query(statement, params);
    await c.query('commit');
  } finally { await c.end(); }
}

t.test('a key looked up once is remembered until api_keys changes on any instance', async (t) => {
  const ta = await buildTestApp(t);
  const [a, b] = [await instance(t, ta), await instance(t, ta)];
  const key = generateKey();
  await changeKeys([a, b], () => insertKey(ta.db, key, 'bi-tool', 'read'));
  t.equal(await read(a.app, key), 200);

  // Revoked without a notification: A still has the key, a fresh lookup (B) does not.
  await silently(ta.url, `update api_keys set revoked_at = now() where name = $1`, ['bi-tool']);
  t.equal(await read(a.app, key), 200, 'A answers from what it looked up (this is the cache)');
  t.equal(await read(b.app, key), 401, 'B, which never looked it up, refuses it');

  // Any change to api_keys is notified: A looks again and refuses.
  // a statement is enough, even one of no rows
  await changeKeys([a], () => sql`update api_keys set name = name where false`.execute(ta.db));
  t.equal(await read(a.app, key), 401, 'A refuses it now');
});

t.test('a revocation through the repository (the CLI) reaches every instance', async (t) => {
  const ta = await buildTestApp(t);
  const [a, b] = [await instance(t, ta), await instance(t, ta)];
  const key = generateKey();
  await changeKeys([a, b], () => insertKey(ta.db, key, 'loader', 'read'));
  t.equal(await read(a.app, key), 200);
  t.equal(await read(b.app, key), 200);
  await changeKeys([a, b], async () => t.equal(await revokeKey(ta.db, 'loader'), 1));
  t.equal(await read(a.app, key), 401, 'refused on A');
  t.equal(await read(b.app, key), 401, 'refused on B');
  // A readings write elsewhere does not empty the key lookups: only api_keys changes do.
  const other = generateKey();
  await changeKeys([a], () => insertKey(ta.db, other, 'other', 'read'));
  t.equal(await read(a.app, other), 200);
  const keysGen = a.changes.keysGeneration;
  const gen = a.changes.generation;
  await sql`insert into priorities (code, title, position) values ('ZZ', 'Z', 99)`.execute(ta.db);
  await waitFor('A to hear of the scorecard change', () => a.changes.generation > gen, 5000);
  t.equal(a.changes.keysGeneration, keysGen, 'a scorecard change leaves the key lookups alone');
});

t.test('a remembered key still expires on time, and nothing is remembered while not listening', async (t) => {
  const ta = await buildTestApp(t);
  const a = await instance(t, ta);
  const key = generateKey();
  const expires = new Date(Date.now() + 5000); // room for a slow machine: both reads below come before it
  await changeKeys([a], () => insertKey(ta.db, key, 'short-lived', 'read', expires));
  t.equal(await read(a.app, key), 200);
  t.equal(await read(a.app, key), 200);
  await new Promise((r) => setTimeout(r, Math.max(0, expires.getTime() - Date.now()) + 100));
  t.equal(await read(a.app, key), 401, 'past its expiry: refused, with no change to api_keys');

  const steady = generateKey();
  await changeKeys([a], () => insertKey(ta.db, steady, 'steady', 'read'));
  t.equal(await read(a.app, steady), 200);
  await a.changes.close();
  t.equal(a.changes.live, false);
  await silently(ta.url, `update api_keys set revoked_at = now() where name = $1`, ['steady']);
  t.equal(await read(a.app, steady), 401, 'not listening: every request looks its key up');
});

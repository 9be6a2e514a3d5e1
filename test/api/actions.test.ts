import { readFileSync } from 'node:fs';
import t from 'tap';
import { seedActions } from '../../src/seed/actions.js';
import { loadSeeds, SEEDS_DIR } from '../../src/seed/loader.js';
import { buildTestApp } from '../helpers/app.js';

type SeedAction = { code: string; priority: string; title: string; updates: { period: string; status: string; text: string }[] };
const seeded: SeedAction[] = JSON.parse(readFileSync(new URL('../../seeds/actions.json', import.meta.url), 'utf8'));

t.test('the seeded actions: list, filter, page, one with its updates', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const all = (await app.inject({ method: 'GET', url: '/v1/actions?limit=500' })).json();
  t.equal(all.items.length, 62);
  t.same(all.items.map((a: { code: string }) => a.code), seeded.map((a) => a.code), 'report order');
  t.equal(all.nextCursor, null);
  t.equal(all.items[0].update, undefined, 'no period asked: no update field');

  const codes: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { code: string }[]; nextCursor: string | null } =
      (await app.inject({ method: 'GET', url: `/v1/actions?limit=25${cursor ? `&cursor=${cursor}` : ''}` })).json();
    codes.push(...page.items.map((a: { code: string }) => a.code));
    cursor = page.nextCursor;
  } while (cursor);
  t.same(codes, seeded.map((a) => a.code), 'pages of 25 cover every action once');

  const sle = (await app.inject({ method: 'GET', url: '/v1/actions?priority=SLE' })).json();
  t.same(sle.items.map((a: { code: string }) => a.code), ['SLE-A01', 'SLE-A02', 'SLE-A03', 'SLE-A04', 'SLE-A05', 'SLE-A06']);

  const amber = (await app.inject({ method: 'GET', url: '/v1/actions?period=2019-20-Q2&status=amber&limit=500' })).json();
  const wantAmber = seeded.filter((a) => a.updates.some((u) => u.period === '2019-20-Q2' && u.status === 'amber')).map((a) => a.code);
  t.equal(wantAmber.length, 9);
  t.same(amber.items.map((a: { code: string }) => a.code), wantAmber);
  t.ok(amber.items.every((a: { update: { status: string; period: string } }) => a.update.status === 'amber' && a.update.period === '2019-20-Q2'));

  const q3 = (await app.inject({ method: 'GET', url: '/v1/actions?period=2019-20-Q3&priority=SLE' })).json();
  t.same(q3.items.map((a: { update: unknown }) => a.update), Array(6).fill(null), 'no Q3 updates yet');

  t.equal((await app.inject({ method: 'GET', url: '/v1/actions?status=amber' })).statusCode, 400, 'status needs a period');
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions?period=2019-20' })).statusCode, 400, 'updates are quarterly');
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions?period=2019-21-Q2' })).statusCode, 400);
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions?cursor=nope!' })).statusCode, 400);

  const one = await app.inject({ method: 'GET', url: '/v1/actions/BBH-A03' });
  t.equal(one.statusCode, 200);
  const a = one.json();
  t.same({ ...a, updatedAt: 'x', updates: a.updates.map((u: { updatedAt: string }) => ({ ...u, updatedAt: 'x' })) }, {
    code: 'BBH-A03', priority: 'BBH', objective: 'Define procurement route for Greenhill Way',
    title: 'To bring forward proposals for mixed use/housing leisure use on Greenhill Way site.',
    directorates: ['Community'], leads: ['Keith Ferry'], updatedAt: 'x',
    updates: [{ action: 'BBH-A03', period: '2019-20-Q2', status: 'amber', text: 'Developing brief for consultants', revision: 1, source: 'seed:report-2019-20-q2', updatedAt: 'x' }],
  });
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions/NOPE' })).statusCode, 404);
  const upd = await app.inject({ method: 'GET', url: '/v1/actions/BBH-A03/updates/2019-20-Q2' });
  t.equal(upd.json().text, 'Developing brief for consultants');
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions/BBH-A03/updates/2019-20-Q3' })).statusCode, 404);
});

t.test('seeding again changes nothing', async (t) => {
  const { app, db } = await buildTestApp(t, { seed: true });
  t.same(await seedActions(db, SEEDS_DIR), { actions: 62, updatesWritten: 0 });
  const again = await loadSeeds(db);
  t.equal(again.actions, 62);
  t.equal(again.readingsWritten, 0);
  const revs = await db.selectFrom('action_update_revisions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  t.equal(Number(revs.n), 62, 'one revision per seeded update');
  const revisions = (await app.inject({ method: 'GET', url: '/v1/actions/SLE-A01/updates/2019-20-Q2/revisions' })).json();
  t.same(revisions.items.map((r: { revision: number; status: string; source: string }) => [r.revision, r.status, r.source]),
    [[1, 'green', 'seed:report-2019-20-q2']]);
});

t.test('defining actions (admin)', async (t) => {
  const { as } = await buildTestApp(t);
  await as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'Priority 1' } });
  const body = { priority: 'P1', objective: 'Keep it clean', title: 'Sweep the streets', directorates: ['Community'], leads: ['A. Lead'] };
  t.equal((await as('write', { method: 'PUT', url: '/v1/actions/A-1', payload: body })).statusCode, 403, 'definitions need admin');
  const created = await as('admin', { method: 'PUT', url: '/v1/actions/A-1', payload: body });
  t.equal(created.statusCode, 201);
  t.same({ ...created.json(), updatedAt: 'x' }, { code: 'A-1', ...body, updatedAt: 'x' });
  const same = await as('admin', { method: 'PUT', url: '/v1/actions/A-1', payload: body });
  t.equal(same.statusCode, 200);
  t.equal(same.json().updatedAt, created.json().updatedAt, 'the same body changes nothing');
  const replaced = await as('admin', { method: 'PUT', url: '/v1/actions/A-1', payload: { priority: 'P1', objective: 'O2', title: 'T2' } });
  t.same([replaced.statusCode, replaced.json().objective, replaced.json().leads], [200, 'O2', []], 'PUT replaces; omitted lists are empty');
  const badPriority = await as('admin', { method: 'PUT', url: '/v1/actions/A-2', payload: { ...body, priority: 'NOPE' } });
  t.equal(badPriority.statusCode, 400);
  t.same(badPriority.json().errors, [{ field: '/body/priority', message: "priority 'NOPE' does not exist" }]);
  t.equal((await as('admin', { method: 'PUT', url: '/v1/actions/A-2', payload: { ...body, colour: 'red' } })).statusCode, 400);
  t.equal((await as('admin', { method: 'PUT', url: '/v1/actions/A-2', payload: { priority: 'P1', objective: '', title: 'T' } })).statusCode, 400);
});

t.test('quarterly updates: revisions, idempotence, scopes, validation', async (t) => {
  const { as, app } = await buildTestApp(t);
  await as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'Priority 1' } });
  await as('admin', { method: 'PUT', url: '/v1/actions/A-1', payload: { priority: 'P1', objective: 'O', title: 'T' } });
  const url = '/v1/actions/A-1/updates/2019-20-Q2';
  t.equal((await as('read', { method: 'PUT', url, payload: { status: 'green', text: 'x' } })).statusCode, 403);
  t.equal((await app.inject({ method: 'PUT', url, payload: { status: 'green', text: 'x' } })).statusCode, 401);

  const first = await as('write', { method: 'PUT', url, payload: { status: 'amber', text: 'Under way' } });
  t.equal(first.statusCode, 201);
  t.same({ ...first.json(), updatedAt: 'x' }, { action: 'A-1', period: '2019-20-Q2', status: 'amber', text: 'Under way', revision: 1, source: 'test-writer', updatedAt: 'x' });
  const again = await as('admin', { method: 'PUT', url, payload: { status: 'amber', text: 'Under way' } });
  t.same([again.statusCode, again.json().revision, again.json().source], [200, 1, 'test-writer'], 'same body: no new revision');
  const changed = await as('write', { method: 'PUT', url, payload: { status: 'complete', text: 'Done' } });
  t.same([changed.statusCode, changed.json().revision, changed.json().status], [200, 2, 'complete']);

  const revs = (await app.inject({ method: 'GET', url: `${url}/revisions` })).json();
  t.same(revs.items.map((r: { revision: number; status: string; text: string; source: string }) => [r.revision, r.status, r.text, r.source]),
    [[1, 'amber', 'Under way', 'test-writer'], [2, 'complete', 'Done', 'test-writer']]);
  const paged = (await app.inject({ method: 'GET', url: `${url}/revisions?limit=1` })).json();
  t.same([paged.items.length, paged.items[0].revision, typeof paged.nextCursor], [1, 1, 'string']);
  t.equal((await app.inject({ method: 'GET', url: '/v1/actions/A-1/updates/2019-20-Q3/revisions' })).statusCode, 404);

  const cases: [string, string, object, number][] = [
    ['unknown action', '/v1/actions/NOPE/updates/2019-20-Q2', { status: 'green', text: '' }, 404],
    ['unknown status', url, { status: 'GREEN', text: '' }, 400],
    ['missing text', url, { status: 'green' }, 400],
    ['a year', '/v1/actions/A-1/updates/2019-20', { status: 'green', text: '' }, 400],
    ['years not consecutive', '/v1/actions/A-1/updates/2019-21-Q2', { status: 'green', text: '' }, 400],
  ];
  for (const [name, u, payload, status] of cases) {
    const res = await as('write', { method: 'PUT', url: u, payload });
    t.equal(res.statusCode, status, name);
    t.match(res.headers['content-type'], /problem\+json/, `${name}: problem+json`);
  }
});

t.test('concurrent writers of one action serialise on its row lock', async (t) => {
  const { as, db } = await buildTestApp(t);
  await as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'Priority 1' } });
  await as('admin', { method: 'PUT', url: '/v1/actions/A-1', payload: { priority: 'P1', objective: 'O', title: 'T' } });
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    as('write', { method: 'PUT', url: '/v1/actions/A-1/updates/2019-20-Q2', payload: { status: 'green', text: `writer ${i}` } })));
  t.same(results.map((r) => r.statusCode).sort(), [...Array(11).fill(200), 201].sort(), 'one creates, the rest change it; no 5xx');
  const revs = await db.selectFrom('action_update_revisions').select(['revision', 'text']).orderBy('revision').execute();
  t.same(revs.map((r) => r.revision), Array.from({ length: 12 }, (_, i) => i + 1), 'revisions 1..12, no gaps or duplicates');
  const stored = await db.selectFrom('action_updates').selectAll().executeTakeFirstOrThrow();
  t.equal(stored.revision, 12);
  t.equal(stored.text, revs[11].text, 'the stored update is the last revision');
});

import t from 'tap';
import type { InjectOptions } from 'fastify';
import { buildTestApp } from '../helpers/app.js';

t.test('health, readiness and the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t);
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);
  t.same(health.json(), { status: 'ok' });
  const ready = await app.inject({ method: 'GET', url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ok' });
  const docs = await app.inject({ method: 'GET', url: '/docs/' });
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger/i);
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  t.equal(spec.openapi, '3.1.0');
  t.ok(spec.components.securitySchemes.bearerAuth, 'bearer scheme declared');
});

t.test('writes need a key with the right scope; reads are public by default', async (t) => {
  const { app, as } = await buildTestApp(t);
  const none = await app.inject({ method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x' } });
  t.equal(none.statusCode, 401);
  t.match(none.headers['content-type'], /application\/problem\+json/);
  t.equal(none.json().type, '/problems/unauthorized');
  const unknown = await app.inject({ method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x' }, headers: { authorization: 'Bearer csk_nope' } });
  t.equal(unknown.statusCode, 401);
  const reader = await as('read', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x' } });
  t.equal(reader.statusCode, 403);
  const writer = await as('write', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x' } });
  t.equal(writer.statusCode, 403, 'priorities are definitions: admin only');
  const admin = await as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x' } });
  t.equal(admin.statusCode, 201);
  const list = await app.inject({ method: 'GET', url: '/v1/priorities' });
  t.equal(list.statusCode, 200);
  t.same(list.json().items.map((p: { code: string }) => p.code), ['P1']);
});

t.test('READ_ACCESS=key closes reads to callers without a key', async (t) => {
  const { app, as } = await buildTestApp(t, { env: { READ_ACCESS: 'key' } });
  t.equal((await app.inject({ method: 'GET', url: '/v1/priorities' })).statusCode, 401);
  t.equal((await as('read', { method: 'GET', url: '/v1/priorities' })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200, 'health stays open');
});

t.test('every error is problem+json', async (t) => {
  const { app, as } = await buildTestApp(t);
  const cases: [string, InjectOptions, number][] = [
    ['404', { method: 'GET', url: '/v1/nowhere' }, 404],
    ['405', { method: 'DELETE', url: '/v1/priorities' }, 405],
    ['unknown property', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x', colour: 'red' } }, 400],
    ['wrong type', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 5 } }, 400],
    ['bad JSON', { method: 'PUT', url: '/v1/priorities/P1', payload: '{"title":', headers: { 'content-type': 'application/json' } }, 400],
    ['415', { method: 'PUT', url: '/v1/priorities/P1', payload: 'title=x', headers: { 'content-type': 'text/plain' } }, 415],
    ['413', { method: 'PUT', url: '/v1/priorities/P1', payload: JSON.stringify({ title: 'x'.repeat(5 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }, 413],
  ];
  for (const [name, req, status] of cases) {
    const res = await as('admin', req);
    t.equal(res.statusCode, status, name);
    t.match(res.headers['content-type'], /application\/problem\+json/, `${name}: content type`);
    const body = res.json();
    t.equal(body.status, status, `${name}: status in body`);
    t.type(body.title, 'string');
    t.type(body.detail, 'string');
    t.match(body.type, /^\/problems\//);
  }
  const unknownProp = (await as('admin', { method: 'PUT', url: '/v1/priorities/P1', payload: { title: 'x', colour: 'red' } })).json();
  t.same(unknownProp.errors, [{ field: '/body/colour', message: 'is not a property this resource accepts' }]);
  const allow = await app.inject({ method: 'DELETE', url: '/v1/priorities' });
  t.equal(allow.headers.allow, 'GET');
});

t.test('lists page with an opaque cursor', async (t) => {
  const { app, as } = await buildTestApp(t);
  for (const code of ['P1', 'P2', 'P3']) await as('admin', { method: 'PUT', url: `/v1/priorities/${code}`, payload: { title: code } });
  const first = (await app.inject({ method: 'GET', url: '/v1/priorities?limit=2' })).json();
  t.same(first.items.map((p: { code: string }) => p.code), ['P1', 'P2']);
  t.type(first.nextCursor, 'string');
  const second = (await app.inject({ method: 'GET', url: `/v1/priorities?limit=2&cursor=${first.nextCursor}` })).json();
  t.same(second.items.map((p: { code: string }) => p.code), ['P3']);
  t.equal(second.nextCursor, null);
});

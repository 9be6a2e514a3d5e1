// Security headers on every answer (errors included) and CORS only for configured origins.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';

const ALLOWED = 'https://bi.example.gov.uk';
const ALSO = 'https://dash.example.org';

t.test('helmet headers on answers, errors included', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const answers = {
    'a read': await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02' }),
    'a 404': await ta.app.inject({ method: 'GET', url: '/v1/nothing' }),
    'a 401': await ta.app.inject({ method: 'PUT', url: '/v1/priorities/X', payload: { title: 'x' } }),
    'a 400': await ta.as('admin', { method: 'PUT', url: '/v1/priorities/X', payload: { title: 5 } }),
    'a 414': await ta.app.inject({ method: 'GET', url: `/v1/measures/${'A'.repeat(300)}` }),
    'health': await ta.app.inject({ method: 'GET', url: '/health' }),
  };
  for (const [name, res] of Object.entries(answers)) {
    const h = res.headers;
    t.equal(h['x-content-type-options'], 'nosniff', `${name}: nosniff`);
    t.equal(h['x-frame-options'], 'SAMEORIGIN', `${name}: frame options`);
    t.match(h['strict-transport-security'], /max-age=\d+/, `${name}: HSTS`);
    t.equal(h['referrer-policy'], 'no-referrer', `${name}: referrer policy`);
    t.equal(h['x-dns-prefetch-control'], 'off', `${name}: DNS prefetch off`);
    t.equal(h['cross-origin-opener-policy'], 'same-origin', `${name}: COOP`);
    t.equal(h['cross-origin-resource-policy'], 'cross-origin', `${name}: CORP lets BI tools on other origins read`);
    t.equal(h['x-powered-by'], undefined, `${name}: no X-Powered-By`);
    t.equal(h['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", `${name}: an API answer may load nothing`);
    t.ok(h['x-request-id'], `${name}: request id`);
  }
  // Swagger UI keeps working: its pages do not get the API's CSP.
  const docs = await ta.app.inject({ method: 'GET', url: '/docs/' });
  t.equal(docs.statusCode, 200);
  t.notOk(String(docs.headers['content-security-policy'] ?? '').includes("default-src 'none'"), 'the docs page is not locked down');
});

t.test('CORS: configured origins only', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { CORS_ORIGINS: `${ALLOWED}, ${ALSO}` } });
  for (const origin of [ALLOWED, ALSO]) {
    const res = await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02', headers: { origin } });
    t.equal(res.statusCode, 200);
    t.equal(res.headers['access-control-allow-origin'], origin, `${origin} is allowed`);
    t.match(res.headers.vary, /Origin/, 'Vary: Origin, so caches keep answers apart');
    t.match(res.headers['access-control-expose-headers'], /ETag/, 'ETag is readable by the browser');
    t.equal(res.headers['access-control-allow-credentials'], undefined, 'no credentials mode: keys go in Authorization');
  }
  const err = await ta.app.inject({ method: 'GET', url: '/v1/nothing', headers: { origin: ALLOWED } });
  t.equal(err.headers['access-control-allow-origin'], ALLOWED, 'problem answers are readable by an allowed origin too');

  for (const origin of ['https://evil.example.com', `${ALLOWED}.evil.com`, 'http://bi.example.gov.uk', 'null', ALLOWED.toUpperCase(), `${ALLOWED}:8443`]) {
    const res = await ta.app.inject({ method: 'GET', url: '/v1/measures/BBH-02', headers: { origin } });
    t.equal(res.statusCode, 200, `${origin}: the request itself is answered (CORS is enforced by the browser)`);
    t.equal(res.headers['access-control-allow-origin'], undefined, `${origin}: no Access-Control-Allow-Origin`);
  }

  const preflight = await ta.app.inject({
    method: 'OPTIONS', url: '/v1/measures/BBH-02/readings/2019-20-Q3',
    headers: { origin: ALLOWED, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type, idempotency-key, if-match' },
  });
  t.equal(preflight.statusCode, 204, 'preflight from an allowed origin');
  t.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
  t.match(preflight.headers['access-control-allow-methods'], /PUT/);
  t.match(String(preflight.headers['access-control-allow-headers']).toLowerCase(), /authorization.*content-type.*if-match.*idempotency-key/);
  t.equal(preflight.headers['access-control-max-age'], '600');
  const denied = await ta.app.inject({
    method: 'OPTIONS', url: '/v1/measures/BBH-02/readings/2019-20-Q3',
    headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'PUT' },
  });
  t.equal(denied.headers['access-control-allow-origin'], undefined, 'preflight from another origin is not granted');
  t.equal(denied.headers['access-control-allow-methods'] === undefined || denied.headers['access-control-allow-origin'] === undefined, true);
});

t.test('CORS: none by default; * allows any origin', async (t) => {
  const none = await buildTestApp(t, { seed: true });
  const res = await none.app.inject({ method: 'GET', url: '/v1/measures/BBH-02', headers: { origin: ALLOWED } });
  t.equal(res.headers['access-control-allow-origin'], undefined, 'no CORS_ORIGINS: no CORS at all');
  const pre = await none.app.inject({ method: 'OPTIONS', url: '/v1/measures/BBH-02', headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } });
  t.equal(pre.headers['access-control-allow-origin'], undefined, 'and no preflight grant');
  t.ok(pre.statusCode < 500, `preflight answered ${pre.statusCode}`);

  const any = await buildTestApp(t, { seed: true, env: { CORS_ORIGINS: '*' } });
  const r2 = await any.app.inject({ method: 'GET', url: '/v1/measures/BBH-02', headers: { origin: 'https://anywhere.example' } });
  t.ok(['*', 'https://anywhere.example'].includes(String(r2.headers['access-control-allow-origin'])), 'any origin is allowed');
});

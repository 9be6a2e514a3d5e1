// Property test: requests generated from the OpenAPI document (valid, nearly valid and junk
// bodies, parameters and queries for every operation, sent with an admin key) never get a
// 5xx, and every 4xx is problem+json. Bounded: 300 runs plus 100 raw-byte bodies.
import t from 'tap';
import fc from 'fast-check';
import { buildTestApp } from '../helpers/app.js';
import { operationsOf, requestArb, type GeneratedRequest } from '../helpers/openapi-arb.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

t.test('no generated request gets a 5xx', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  await ta.app.ready();
  const spec = ta.app.swagger() as unknown as Record<string, any>;
  const ops = operationsOf(spec);
  t.ok(ops.length >= 15, `the document lists the operations (${ops.length})`);
  const auth = `Bearer ${ta.keys.admin}`;
  // Real codes and periods, so generated requests reach the handlers, not only the validators.
  const codes = (await ta.db.selectFrom('measures').select('code').limit(20).execute()).map((r) => r.code);
  const actions = (await ta.db.selectFrom('actions').select('code').limit(5).execute()).map((r) => r.code);
  const hints = {
    code: [...codes, ...actions, 'BBH', 'SMN', 'NEW-1'],
    period: ['2019-20-Q2', '2019-20-Q3', '2018-19-Q4', '2019-20', '2020-21-Q1'],
    priority: ['BBH', 'SMN'],
  };
  const seen = new Map<string, Set<number>>();
  let failure: { req: GeneratedRequest; status: number; body: string } | null = null;

  const prop = fc.asyncProperty(fc.constantFrom(...ops).chain((op) => requestArb(op, auth, hints).map((req) => ({ op, req }))), async ({ op, req }) => {
    const res = await ta.app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload });
    const key = `${op.method} ${op.path}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(res.statusCode);
    const ok = res.statusCode < 500 && (res.statusCode < 400 || /^application\/problem\+json/.test(String(res.headers['content-type'])));
    if (!ok && !failure) failure = { req, status: res.statusCode, body: res.body.slice(0, 1000) };
    return ok;
  });
  const started = Date.now();
  const out = await fc.check(prop, { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined, endOnFailure: true });
  t.notOk(out.failed, `no 5xx, every error problem+json (seed ${out.seed}, ${out.numRuns} runs, ${Date.now() - started} ms)`, {
    counterexample: out.counterexample, failure, error: out.errorInstance?.toString(),
  });
  t.ok(out.numRuns >= Math.min(RUNS, 300), 'all runs made');
  const allStatuses = new Set([...seen.values()].flatMap((s) => [...s]));
  t.ok([...allStatuses].some((s) => s < 300), 'some generated requests were valid (2xx)');
  t.ok([...allStatuses].some((s) => s >= 400 && s < 500), 'some were refused (4xx)');
  t.comment(`statuses by operation: ${JSON.stringify(Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort()])))}`);
});

t.test('raw bytes and odd text as JSON bodies get 4xx, never 5xx', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const targets = ['/v1/readings/batch', '/v1/measures/BBH-02/readings/2019-20-Q3', '/v1/priorities/BBH', '/v1/measures/BBH-02/targets/2019-20-Q3'];
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.string({ unit: 'binary', maxLength: 100 }).map((s) => Buffer.from(s, 'utf8')),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.tuple(fc.constantFrom('{"value":', '{"readings":[{"measure":"BBH-02","period":"2019-20-Q3","value":', '{"title":'), fc.string({ unit: 'binary', maxLength: 20 }))
      .map(([a, b]) => Buffer.from(a + b)),
  );
  const statuses = new Set<number>();
  const out = await fc.check(fc.asyncProperty(fc.constantFrom(...targets), bodies, async (url, payload) => {
    const res = await ta.as('admin', { method: url.endsWith('batch') ? 'POST' : 'PUT', url, payload, headers: { 'content-type': 'application/json' } });
    statuses.add(res.statusCode);
    return res.statusCode < 500 && (res.statusCode < 300 || /^application\/problem\+json/.test(String(res.headers['content-type'])));
  }), { numRuns: 100 });
  t.notOk(out.failed, `no 5xx (seed ${out.seed})`, { counterexample: out.counterexample });
  t.ok([...statuses].every((s) => s < 500), `statuses: ${[...statuses].sort().join(', ')}`);
});

// Prefer: return=minimal on batch writes (RFC 7240): the counts without the echo of every
// reading, the same rows stored as a full answer would describe, and Preference-Applied.
import t from 'tap';
import { prefersMinimal } from '../../src/plugins/prefer.js';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

t.test('the header parser: return=minimal among other preferences, case and quotes', async (t) => {
  const yes = ['return=minimal', 'RETURN=Minimal', 'return="minimal"', 'respond-async, return=minimal', 'wait=10; foo=bar, return=minimal; x=1',
    ' return = minimal ', ['handling=strict', 'return=minimal'], 'foo="a,b", return=minimal', 'foo="x; y";q="1,2", return=minimal',
    'return="mini\\mal"'];
  for (const h of yes) t.equal(prefersMinimal(h), true, JSON.stringify(h));
  const no = [undefined, '', 'return=representation', 'minimal', 'return', 'returns=minimal', 'return=minimalist', 'handling=lenient',
    'return=representation, return=minimal', 'return, return=minimal',
    // Inside a quoted value or among a preference's parameters, return=minimal is not a preference.
    'foo="x, return=minimal"', 'foo; return=minimal', 'x="a\\", return=minimal"'];
  for (const h of no) t.equal(prefersMinimal(h as string | undefined), false, JSON.stringify(h));
});

const items = [
  { measure: 'M1', period: '2019-20-Q1', value: 9, target: 10 },
  { measure: 'M1', period: '2019-20-Q2', value: 11, target: 10 },
  { measure: 'M2', period: '2019-20-Q2', status: 'not_due' },
];
const batch = (payload: unknown, headers: Record<string, string> = {}) =>
  ({ method: 'POST' as const, url: '/v1/readings/batch', payload: payload as object, headers });

t.test('return=minimal: counts only, Preference-Applied, and the same rows stored as a full answer shows', async (t) => {
  const ta = await buildTestApp(t);
  for (const code of ['M1', 'M2', 'N1', 'N2']) await defineMeasure(ta, code);
  const min = await ta.as('write', batch({ readings: items }, { prefer: 'return=minimal' }));
  t.equal(min.statusCode, 200);
  t.same(min.json(), { dryRun: false, written: 3, unchanged: 0, rederived: 0 }, 'no readings in the answer');
  t.equal(min.headers['preference-applied'], 'return=minimal');
  t.equal(min.headers['content-type'], 'application/json; charset=utf-8');

  // The same items for other measures, answered in full: what was stored for M1/M2 must match.
  const full = await ta.as('write', batch({ readings: items.map((i) => ({ ...i, measure: i.measure.replace('M', 'N') })) }));
  t.equal(full.headers['preference-applied'], undefined, 'no preference, none applied');
  t.equal(full.json().readings.length, 3);
  for (const [i, it] of items.entries()) {
    const got = (await ta.app.inject({ method: 'GET', url: `/v1/measures/${it.measure}/readings/${it.period}` })).json();
    const { measure: _m, updatedAt: _u, ...stored } = got;
    const { measure: _n, updatedAt: _v, ...shown } = full.json().readings[i];
    t.same(stored, shown, `${it.measure} ${it.period}: stored as the full answer describes (rating, variance, trend)`);
  }
  t.match(full.json().readings[0], { rag: 'LR', variance: -0.1 });

  const again = await ta.as('write', batch({ readings: items }, { prefer: 'return=minimal' }));
  t.same(again.json(), { dryRun: false, written: 0, unchanged: 3, rederived: 0 }, 'the same values again: all unchanged');
  const revised = await ta.as('write', batch({ readings: [{ measure: 'M1', period: '2019-20-Q1', value: 12 }] }, { prefer: 'return=minimal' }));
  t.same(revised.json(), { dryRun: false, written: 1, unchanged: 0, rederived: 1 }, 'Q2 compares with Q1: re-derived, counted');

  const dry = await ta.as('write', batch({ dryRun: true, readings: [{ measure: 'M1', period: '2019-20-Q3', value: 1 }] }, { prefer: 'return=minimal' }));
  t.same(dry.json(), { dryRun: true, written: 1, unchanged: 0, rederived: 0 });

  const rep = await ta.as('write', batch({ readings: [{ measure: 'M1', period: '2019-20-Q4', value: 1 }] }, { prefer: 'return=representation' }));
  t.equal(rep.json().readings.length, 1, 'return=representation is the default answer');
  t.equal(rep.headers['preference-applied'], undefined);
});

t.test('a replay is the answer as first stored, whatever the retry prefers', async (t) => {
  const ta = await buildTestApp(t);
  for (const code of ['M1', 'M2']) await defineMeasure(ta, code);
  const first = await ta.as('write', batch({ readings: items }, { prefer: 'return=minimal', 'idempotency-key': 'k1' }));
  const retry = await ta.as('write', batch({ readings: items }, { 'idempotency-key': 'k1' }));
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(retry.json(), first.json(), 'the stored minimal answer');
  t.equal(retry.headers['preference-applied'], 'return=minimal', 'and says it is minimal');
  const full = await ta.as('write', batch({ readings: [{ measure: 'M1', period: '2019-20-Q3', value: 1 }] }, { 'idempotency-key': 'k2' }));
  const retryMin = await ta.as('write', batch({ readings: [{ measure: 'M1', period: '2019-20-Q3', value: 1 }] }, { prefer: 'return=minimal', 'idempotency-key': 'k2' }));
  t.same(retryMin.json(), full.json(), 'a full first answer replays in full');
  t.equal(retryMin.headers['preference-applied'], undefined);
});

t.test('browsers may send Prefer and read Preference-Applied', async (t) => {
  const ta = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://bi.example' } });
  const pre = await ta.app.inject({ method: 'OPTIONS', url: '/v1/readings/batch', headers: {
    origin: 'https://bi.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'prefer, content-type' } });
  t.match(String(pre.headers['access-control-allow-headers']).toLowerCase(), /prefer/);
  await defineMeasure(ta, 'M1');
  const res = await ta.as('write', batch({ readings: [items[0]] }, { prefer: 'return=minimal', origin: 'https://bi.example' }));
  t.match(String(res.headers['access-control-expose-headers']), /Preference-Applied/);
});

t.test('the OpenAPI document declares the answer headers', async (t) => {
  const ta = await buildTestApp(t);
  const doc = (await ta.app.inject({ method: 'GET', url: '/docs/json' })).json();
  const headers = doc.paths['/v1/readings/batch'].post.responses['200'].headers;
  t.same(headers['Preference-Applied'].schema, { type: 'string', enum: ['return=minimal'] });
  t.same(headers['Idempotent-Replayed'].schema, { type: 'string', enum: ['true'] });
});

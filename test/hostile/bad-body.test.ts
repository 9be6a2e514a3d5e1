// Malformed bodies: each is a 4xx problem+json naming what is wrong, never a 5xx, and the
// database is byte for byte what it was before.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import { buildTestApp } from '../helpers/app.js';
import { refuse, type Case } from '../helpers/hostile.js';

const READING = '/v1/measures/BBH-02/readings/2019-20-Q2'; // exists in the seeds
const NEW_READING = '/v1/measures/BBH-02/readings/2019-20-Q3';
const json = { 'content-type': 'application/json' };

const put = (payload: unknown, url = READING): InjectOptions => ({ method: 'PUT', url, payload: payload as object });
const putRaw = (payload: string | Buffer, url = READING, headers: Record<string, string> = json): InjectOptions =>
  ({ method: 'PUT', url, payload, headers });

t.test('wrong types in a reading', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  await refuse(t, ta, [
    { name: 'value as a string', req: put({ value: '27' }), status: 400, type: 'validation-error', field: '/body/value' },
    { name: 'value as a boolean', req: put({ value: true }), status: 400, field: '/body/value' },
    { name: 'value as an object', req: put({ value: { amount: 27 } }), status: 400, field: '/body/value' },
    { name: 'value as an array', req: put({ value: [27] }), status: 400, field: '/body/value' },
    { name: 'commentary as a number', req: put({ value: 27, commentary: 5 }), status: 400, field: '/body/commentary' },
    { name: 'unknown status', req: put({ status: 'lost' }), status: 400, field: '/body/status' },
    { name: 'target as a string', req: put({ value: 27, target: '42' }), status: 400, field: '/body/target' },
    { name: 'override with an unknown rag', req: put({ value: 27, ragOverride: { rag: 'PURPLE', reason: 'x' } }), status: 400, field: '/body/ragOverride' },
    { name: 'override without a reason', req: put({ value: 27, ragOverride: { rag: 'A' } }), status: 400, field: '/body/ragOverride' },
    { name: 'override with a blank reason', req: put({ value: 27, ragOverride: { rag: 'A', reason: '   ' } }), status: 400, field: '/body/ragOverride' },
    { name: 'numerator as a string', req: put({ value: 27, numerator: '10' }), status: 400, field: '/body/numerator' },
    { name: 'batch readings as an object', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: { 0: {} } } }, status: 400, field: '/body/readings' },
    { name: 'batch dryRun as a string', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 1 }], dryRun: 'yes' } }, status: 400, field: '/body/dryRun' },
    { name: 'priority title as a number', req: { method: 'PUT', url: '/v1/priorities/BBH', payload: { title: 7 } }, status: 400, field: '/body/title' },
    { name: 'measure polarity unknown', req: { method: 'PUT', url: '/v1/measures/BBH-02', payload: { priority: 'BBH', title: 'x', polarity: 'sideways' } }, status: 400, field: '/body/polarity' },
    { name: 'measure headline as "true"', req: { method: 'PATCH', url: '/v1/measures/BBH-02', payload: { headline: 'true' } }, status: 400, field: '/body/headline' },
  ]);
});

t.test('numbers JSON cannot carry or we cannot store exactly (raw JSON text)', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  await refuse(t, ta, [
    { name: 'NaN', req: putRaw('{"value": NaN}'), status: 400, type: 'malformed-request', detail: /not valid JSON/ },
    { name: 'Infinity', req: putRaw('{"value": Infinity}'), status: 400, type: 'malformed-request' },
    { name: '-Infinity', req: putRaw('{"value": -Infinity}'), status: 400, type: 'malformed-request' },
    { name: '1e400 (parses to Infinity)', req: putRaw('{"value": 1e400}'), status: 400, type: 'validation-error', field: '/body/value' },
    { name: '-1e400', req: putRaw('{"value": -1e400}'), status: 400, field: '/body/value' },
    { name: '1e16 (above the bound)', req: putRaw('{"value": 1e16}'), status: 400, field: '/body/value' },
    { name: '20 significant digits', req: putRaw('{"value": 0.12345678901234567891}'), status: 400, field: '/body/value', detail: /significant digits/ },
    { name: 'hex literal', req: putRaw('{"value": 0x1B}'), status: 400, type: 'malformed-request' },
    { name: 'leading plus', req: putRaw('{"value": +27}'), status: 400, type: 'malformed-request' },
    { name: 'numerator 1e400', req: putRaw('{"value": 1, "numerator": 1e400}'), status: 400, field: '/body/numerator' },
    { name: 'band min 1e400', req: putRaw('{"value": 1, "target": {"min": 1e400, "max": 2}}'), status: 400, field: /^\/body\/target/ },
    { name: 'target PUT value 1e400', req: putRaw('{"value": 1e400}', '/v1/measures/BBH-02/targets/2019-20-Q3'), status: 400, field: '/body/value' },
    { name: 'batch value Infinity', req: { method: 'POST', url: '/v1/readings/batch', headers: json, payload: '{"readings":[{"measure":"BBH-02","period":"2019-20-Q3","value":1e999}]}' }, status: 400, field: '/body/readings/0/value' },
  ]);
});

t.test('missing, unknown and derived fields', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const derived = ['rag', 'computedRag', 'trend', 'revision', 'variance', 'ragReason', 'trendComparedWith', 'updatedAt', 'source', 'measure', 'period'];
  await refuse(t, ta, [
    { name: 'empty object', req: put({}), status: 400, field: '/body', detail: /exactly one of value or status/ },
    { name: 'value and status both', req: put({ value: 1, status: 'not_due' }), status: 400, field: '/body' },
    { name: 'numerator without a value', req: put({ status: 'not_due', numerator: 1 }), status: 400, field: '/body/numerator' },
    { name: 'unknown field', req: put({ value: 27, colour: 'red' }), status: 400, field: '/body/colour', detail: /colour/ },
    ...derived.map((f): Case => ({
      name: `derived field ${f}`, req: put({ value: 27, [f]: f === 'revision' ? 9 : 'HG' }), status: 400, field: `/body/${f}`,
    })),
    { name: 'derived field in a new reading', req: put({ value: 30, rag: 'HG' }, NEW_READING), status: 400, field: '/body/rag' },
    { name: 'batch item without a measure', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ period: '2019-20-Q3', value: 1 }] } }, status: 400, field: '/body/readings/0/measure' },
    { name: 'batch item with rag', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 1, rag: 'HG' }] } }, status: 400, field: '/body/readings/0/rag' },
    { name: 'batch without readings', req: { method: 'POST', url: '/v1/readings/batch', payload: { dryRun: true } }, status: 400, field: '/body/readings' },
    { name: 'batch with no items', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [] } }, status: 400, field: '/body/readings' },
    { name: 'batch: one bad item refuses the batch', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 1 }, { measure: 'BBH-03', period: '2019-20-Q3' }] } }, status: 422, field: '/body/readings/1' },
    { name: 'batch: unknown measure', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 1 }, { measure: 'NOPE-1', period: '2019-20-Q3', value: 1 }] } }, status: 422, field: '/body/readings/1/measure' },
    { name: 'batch: same reading twice', req: { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'BBH-02', period: '2019-20-Q3', value: 1 }, { measure: 'BBH-02', period: '2019-20-Q3', value: 2 }] } }, status: 422, field: '/body/readings/1' },
    { name: 'priority without a title', req: { method: 'PUT', url: '/v1/priorities/NEW', payload: { objectives: [] } }, status: 400, field: '/body/title' },
    { name: 'measure without polarity', req: { method: 'PUT', url: '/v1/measures/NEW-1', payload: { priority: 'BBH', title: 'x' } }, status: 400, field: '/body/polarity' },
    { name: 'measure patch, empty', req: { method: 'PATCH', url: '/v1/measures/BBH-02', payload: {} }, status: 400 },
    { name: 'target: none of value, band, rule', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { reason: 'x' } }, status: 400, field: '/body' },
    { name: 'target: value and rule', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { value: 1, rule: 'baseline' } }, status: 400, field: '/body' },
    { name: 'target: min only', req: { method: 'PUT', url: '/v1/measures/BBH-02/targets/2019-20-Q3', payload: { min: 1 } }, status: 400, field: '/body' },
  ]);
});

t.test('bodies that are not JSON objects', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  await refuse(t, ta, [
    { name: 'array', req: putRaw('[]'), status: 400, field: '/body' },
    { name: 'array of a reading', req: putRaw('[{"value":27}]'), status: 400, field: '/body' },
    { name: 'string', req: putRaw('"27"'), status: 400, field: '/body' },
    { name: 'number', req: putRaw('27'), status: 400, field: '/body' },
    { name: 'true', req: putRaw('true'), status: 400, field: '/body' },
    { name: 'null', req: putRaw('null'), status: 400 },
    { name: 'empty body', req: putRaw(''), status: 400 },
    { name: 'whitespace body', req: putRaw('  \n '), status: 400 },
    { name: 'truncated', req: putRaw('{"value": 2'), status: 400, type: 'malformed-request' },
    { name: 'trailing garbage', req: putRaw('{"value": 27} x'), status: 400, type: 'malformed-request' },
    { name: 'two objects', req: putRaw('{"value": 27}{"value": 28}'), status: 400, type: 'malformed-request' },
    { name: 'single quotes', req: putRaw("{'value': 27}"), status: 400, type: 'malformed-request' },
    { name: 'comment', req: putRaw('{"value": 27 /* c */}'), status: 400, type: 'malformed-request' },
    { name: '__proto__ key', req: putRaw('{"value": 27, "__proto__": {"rag": "HG"}}'), status: 400 },
    { name: 'constructor.prototype key', req: putRaw('{"value": 27, "constructor": {"prototype": {"rag": "HG"}}}'), status: 400 },
    { name: 'duplicate keys (last wins, then validated)', req: putRaw('{"value": 27, "value": "x"}'), status: 400, field: '/body/value' },
    { name: 'batch body as an array', req: { method: 'POST', url: '/v1/readings/batch', headers: json, payload: '[{"measure":"BBH-02","period":"2019-20-Q3","value":1}]' }, status: 400, field: '/body' },
    { name: 'batch body null', req: { method: 'POST', url: '/v1/readings/batch', headers: json, payload: 'null' }, status: 400 },
  ]);
});

t.test('wrong content types', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const body = '{"value": 27}';
  await refuse(t, ta, [
    { name: 'text/plain', req: putRaw(body, READING, { 'content-type': 'text/plain' }), status: 415, type: 'unsupported-media-type' },
    { name: 'form encoded', req: putRaw('value=27', READING, { 'content-type': 'application/x-www-form-urlencoded' }), status: 415 },
    { name: 'multipart', req: putRaw('--x\r\n\r\n27\r\n--x--', READING, { 'content-type': 'multipart/form-data; boundary=x' }), status: 415 },
    { name: 'xml', req: putRaw('<value>27</value>', READING, { 'content-type': 'application/xml' }), status: 415 },
    { name: 'application/jsonp', req: putRaw(body, READING, { 'content-type': 'application/jsonp' }), status: 415 },
    { name: 'octet-stream', req: putRaw(body, READING, { 'content-type': 'application/octet-stream' }), status: 415 },
    { name: 'no content type', req: putRaw(body, READING, {}), status: 415 },
    { name: 'garbage content type', req: putRaw(body, READING, { 'content-type': ';;;' }), status: [400, 415] },
    { name: 'batch as text/csv', req: { method: 'POST', url: '/v1/readings/batch', headers: { 'content-type': 'text/csv' }, payload: 'measure,period,value\nBBH-02,2019-20-Q3,1' }, status: 415 },
  ]);
  // application/json with parameters is still JSON.
  const ok = await ta.as('admin', putRaw('{"value": 31}', NEW_READING, { 'content-type': 'application/json; charset=utf-8' }));
  t.equal(ok.statusCode, 201, 'application/json; charset=utf-8 is accepted');
});

t.test('bytes that are not UTF-8', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const wrap = (bytes: number[]) => Buffer.concat([Buffer.from('{"value": 27, "commentary": "a'), Buffer.from(bytes), Buffer.from('b"}')]);
  await refuse(t, ta, [
    { name: 'lone 0xFF', req: putRaw(wrap([0xff])), status: 400, type: 'malformed-request', detail: /UTF-8/ },
    { name: 'Latin-1 é (0xE9)', req: putRaw(wrap([0xe9])), status: 400, detail: /UTF-8/ },
    { name: 'overlong "/" (C0 AF)', req: putRaw(wrap([0xc0, 0xaf])), status: 400, detail: /UTF-8/ },
    { name: 'truncated 3-byte sequence', req: putRaw(wrap([0xe2, 0x82])), status: 400, detail: /UTF-8/ },
    { name: 'encoded surrogate (ED A0 80)', req: putRaw(wrap([0xed, 0xa0, 0x80])), status: 400, detail: /UTF-8/ },
    { name: 'above U+10FFFF (F4 90 80 80)', req: putRaw(wrap([0xf4, 0x90, 0x80, 0x80])), status: 400, detail: /UTF-8/ },
    { name: 'UTF-16LE body', req: putRaw(Buffer.from('\ufeff{"value": 27}', 'utf16le')), status: 400 },
    { name: 'bad byte in a key', req: putRaw(Buffer.concat([Buffer.from('{"v'), Buffer.from([0xfe]), Buffer.from('":1}')])), status: 400, detail: /UTF-8/ },
  ]);
});

t.test('deep nesting is refused without exhausting the stack', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const depth = 100_000;
  const arrays = '['.repeat(depth) + ']'.repeat(depth);
  const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const nulInside = '{"value":1,"commentary":' + '['.repeat(depth) + '"\\u0000"' + ']'.repeat(depth) + '}';
  const protoInside = '{"value":1,"commentary":' + '{"a":'.repeat(depth) + '{"constructor":{"prototype":1}}' + '}'.repeat(depth) + '}';
  await refuse(t, ta, [
    { name: '100k nested arrays as the body', req: putRaw(arrays), status: 400, field: '/body' },
    { name: '100k nested objects as the body', req: putRaw(objects), status: 400 },
    { name: '100k nested arrays as a value', req: putRaw(`{"value":${arrays}}`), status: 400, field: '/body/value' },
    { name: '100k nested arrays as commentary, with a NUL at the bottom', req: putRaw(nulInside), status: 400 },
    { name: '100k nested objects with a constructor key at the bottom', req: putRaw(protoInside), status: 400 },
    { name: '100k nested arrays in a batch item', req: { method: 'POST', url: '/v1/readings/batch', headers: json, payload: `{"readings":[{"measure":"BBH-02","period":"2019-20-Q3","value":${arrays}}]}` }, status: 400 },
  ]);
  const health = await ta.app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200, 'the service still answers');
});

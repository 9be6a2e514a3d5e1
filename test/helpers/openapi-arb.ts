// fast-check arbitraries for requests, generated from the service's own OpenAPI document:
// values that fit each schema (from its examples, enums, patterns and bounds), values that
// almost fit (one field wrong, missing or extra; edge numbers; odd text), and plain junk.
import fc from 'fast-check';

type Schema = Record<string, any>;

export interface Operation {
  method: string;
  path: string;
  params: { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: Schema }[];
  body: Schema | null;
}

export interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Every operation in the document, with $refs resolved. */
export function operationsOf(spec: Schema): Operation[] {
  const resolve = (s: Schema, seen = 0): Schema => {
    if (!s || typeof s !== 'object' || seen > 20) return s;
    if (typeof s.$ref === 'string') {
      const name = String(s.$ref.split('/').pop());
      return resolve(spec.components?.schemas?.[name] ?? {}, seen + 1);
    }
    if (Array.isArray(s)) return s.map((x) => resolve(x, seen + 1)) as never;
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v && typeof v === 'object' ? resolve(v, seen + 1) : v]));
  };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(spec.paths)) {
    for (const [method, op] of Object.entries<Schema>(item)) {
      if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).map((p: Schema) => ({ name: p.name, in: p.in, required: !!p.required, schema: resolve(p.schema ?? {}) })),
        body: op.requestBody?.content?.['application/json']?.schema ? resolve(op.requestBody.content['application/json'].schema) : null,
      });
    }
  }
  return ops;
}

const ODD_TEXT = [
  '', ' ', '0', '-1', 'null', 'true', '[]', '{}', "'; drop table readings; --", '<script>alert(1)</script>', '../../etc/passwd',
  '%00', '%', '\u202e', 'e\u0301', '😀', '\ud83d', '\u0000', 'x'.repeat(300), 'BBH-02', '2019-20-Q2', '2019-21-Q2', '9999-00-Q4',
  '1e400', 'NaN', '__proto__', 'constructor',
];
const EDGE_NUMBERS = [0, -0, 1, -1, 0.1, 1e15, -1e15, 1e15 + 2, 1e16, 1e308, -1e308, 5e-324, 2 ** 53, 0.30000000000000004, 123456789.12345678];

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  if (s.items) return ['array'];
  return [];
}

/** A value that satisfies the schema (as far as bounds, enums and patterns go). */
export function validArb(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts) && alts.length) return fc.oneof(...alts.map((a: Schema) => validArb(a, depth + 1)));
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((t) => validArb({ ...s, type: t }, depth + 1)));
  const examples: unknown[] = Array.isArray(s.examples) ? s.examples : [];
  const withExamples = (a: fc.Arbitrary<unknown>) => (examples.length ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...examples) }, { weight: 1, arbitrary: a }) : a);
  switch (types[0]) {
    case 'string': {
      if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (s.pattern) return withExamples(fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= (s.maxLength ?? 1e9) && x.length >= (s.minLength ?? 0)));
      return withExamples(fc.string({ unit: 'grapheme', minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) }));
    }
    case 'integer':
      return withExamples(fc.integer({ min: Math.max(s.minimum ?? -1e6, -1e6), max: Math.min(s.maximum ?? 1e6, 1e6) }));
    case 'number':
      return withExamples(fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
        // Short decimals, as people write them (a raw double has 17 significant digits: refused).
        { weight: 3, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => Number(x.toPrecision(6))) },
        { weight: 1, arbitrary: fc.double({ min: Math.max(s.minimum ?? -1e15, -1e15), max: Math.min(s.maximum ?? 1e15, 1e15), noNaN: true, noDefaultInfinity: true }) },
      ));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const min = s.minItems ?? 0;
      return fc.array(validArb(s.items ?? {}, depth + 1), { minLength: min, maxLength: Math.max(min, Math.min(s.maxItems ?? 4, 4)) });
    }
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) props[k] = validArb(v, depth + 1);
      return fc.record(props, { requiredKeys: (s.required ?? []).filter((k: string) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Junk of any JSON shape, with the edge values that break parsers and databases. */
export const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...ODD_TEXT),
  fc.constantFrom(...EDGE_NUMBERS),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** Mostly valid, often one step off: a value replaced, a required key dropped, an unknown key added. */
export function nearArb(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  const types = typesOf(s);
  if (types.includes('object') && s.properties && depth < 4) {
    const keys = Object.keys(s.properties);
    return fc.tuple(validArb(s, depth), fc.nat(), fc.constantFrom('replace', 'drop', 'extra', 'nested', 'none'), junkArb)
      .chain(([base, n, how, junk]) => {
        const obj = { ...(base as Record<string, unknown>) };
        const k = keys[n % keys.length];
        if (how === 'replace') obj[k] = junk;
        else if (how === 'drop') delete obj[(s.required ?? keys)[n % (s.required ?? keys).length] ?? k];
        else if (how === 'extra') obj[['rag', 'computedRag', 'trend', 'revision', 'id', 'x'][n % 6]] = junk;
        else if (how === 'nested') return nearArb(s.properties[k], depth + 1).map((v) => ({ ...obj, [k]: v }));
        return fc.constant(obj);
      });
  }
  if (types.includes('array') && depth < 4) {
    return fc.array(nearArb(s.items ?? {}, depth + 1), { minLength: 0, maxLength: 3 });
  }
  return fc.oneof({ weight: 3, arbitrary: validArb(s, depth) }, { weight: 1, arbitrary: junkArb });
}

/** Text for a path or query parameter: valid, nearly valid, or odd; `hints` are real values (codes that exist). */
function paramTextArb(s: Schema, hints: string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    ...(hints.length ? [{ weight: 6, arbitrary: fc.constantFrom(...hints) }] : []),
    { weight: 4, arbitrary: validArb(s).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_TEXT) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_NUMBERS).map(String) },
  );
}

/** Percent-encodes UTF-8 bytes (a lone surrogate becomes U+FFFD; encodeURIComponent would throw). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Path text that is sent as is, not encoded: malformed escapes, dot segments. */
const RAW_SEGMENTS = ['%E0%A4%A', '%', '%%', '%00', '%FF', '%C0%AF', '..', '.', '%2e%2e', '%2F', 'a%20b', '~'];

/** A whole request for one operation. */
export function requestArb(op: Operation, auth: string, hints: Record<string, string[]> = {}): fc.Arbitrary<GeneratedRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const query = op.params.filter((p) => p.in === 'query');
  const headers = op.params.filter((p) => p.in === 'header');
  const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
  return fc.record({
    path: fc.tuple(...pathParams.map((p) => paramTextArb(p.schema, hints[p.name]))),
    raw: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(...RAW_SEGMENTS)) }),
    query: fc.tuple(...query.map((p) => optional(paramTextArb(p.schema, hints[p.name])))),
    headers: fc.tuple(...headers.map((p) => optional(paramTextArb(p.schema)))),
    body: op.body
      ? fc.oneof(
        { weight: 6, arbitrary: nearArb(op.body).map((b) => JSON.stringify(b)) },
        { weight: 1, arbitrary: junkArb.map((b) => JSON.stringify(b) ?? 'null') },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
      )
      : fc.constant(undefined),
  }).map(({ path, raw, query: q, headers: h, body }) => {
    let url = op.path;
    pathParams.forEach((p, i) => {
      const text = raw && raw[0] % pathParams.length === i ? raw[1] : enc(path[i] || 'x');
      url = url.replace(`{${p.name}}`, text);
    });
    const qs = query.map((p, i) => (q[i] === undefined ? null : `${p.name}=${enc(q[i] as string)}`)).filter(Boolean);
    const hs: Record<string, string> = { authorization: auth };
    headers.forEach((p, i) => {
      // Header values cannot carry control characters or non-Latin-1 text at all (the client refuses them).
      if (h[i] !== undefined && /^[\x20-\x7e]*$/.test(h[i] as string)) hs[p.name] = h[i] as string;
    });
    if (body !== undefined) hs['content-type'] = 'application/json';
    return { method: op.method, url: qs.length ? `${url}?${qs.join('&')}` : url, headers: hs, ...(body !== undefined ? { payload: body } : {}) };
  });
}

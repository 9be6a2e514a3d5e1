import { readFile } from 'node:fs/promises';
import t from 'tap';
import { generateOpenApi } from '../../src/openapi-document.js';

type Schema = Record<string, any>;

t.test('the committed openapi/openapi.json is the document the service serves', async (t) => {
  const committed = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  const served = await generateOpenApi();
  t.same(served, committed, 'run `npm run openapi` and commit the result');
});

t.test('every field has a description and an example; writes declare the bearer scheme', async (t) => {
  const doc = (await generateOpenApi()) as Schema;
  const missing: string[] = [];
  const walk = (s: Schema | undefined, path: string) => {
    if (!s || typeof s !== 'object') return;
    for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) {
      if (!v.description) missing.push(`${path}.${k}: description`);
      const leaf = v.type !== 'object' && v.type !== 'array' && !v.properties && !(v.anyOf ?? []).some((x: Schema) => x.type === 'object' || x.type === 'array');
      if (leaf && v.examples === undefined && v.example === undefined) missing.push(`${path}.${k}: example`);
      walk(v, `${path}.${k}`);
    }
    walk(s.items, `${path}[]`);
    for (const x of s.anyOf ?? []) walk(x, path);
  };
  for (const [p, ops] of Object.entries<Schema>(doc.paths)) {
    for (const [m, op] of Object.entries<Schema>(ops)) {
      t.ok(op.tags?.length, `${m} ${p} has a tag`);
      for (const prm of op.parameters ?? []) {
        if (!prm.description && !prm.schema?.description) missing.push(`${m} ${p} parameter ${prm.name}: description`);
      }
      walk(op.requestBody?.content?.['application/json']?.schema, `${m} ${p} body`);
      for (const [status, r] of Object.entries<Schema>(op.responses ?? {})) {
        for (const c of Object.values<Schema>(r.content ?? {})) walk(c.schema, `${m} ${p} ${status}`);
      }
      if (['put', 'post', 'patch'].includes(m)) t.same(op.security, [{ bearerAuth: [] }], `${m} ${p} needs a bearer key`);
    }
  }
  t.same(missing, [], 'fields without a description or an example');
  t.equal(doc.components.securitySchemes.bearerAuth.scheme, 'bearer');
});

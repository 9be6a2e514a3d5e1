import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { ChangeFeed } from '../../src/db/change-feed.js';
import { createDatabase } from '../../src/db/database.js';
import { GZIP_MIN_BYTES } from '../../src/plugins/compression.js';
import { buildTestApp } from '../helpers/app.js';

const ROLLUP = '/v1/rollups/2019-20-Q2?working=true';
const gzip = { 'accept-encoding': 'gzip, deflate, br' };

t.test('large bodies are gzip-encoded for clients that ask, from the cache without compressing again', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const { db } = createDatabase({ url: ta.url, poolMax: 4 });
  const changes = new ChangeFeed(ta.url);
  await changes.start();
  const app = await buildApp({ config: ta.config, db, changes });
  t.teardown(async () => { await app.close(); await changes.close(); await db.destroy(); });

  const plain = await app.inject({ method: 'GET', url: ROLLUP });
  t.equal(plain.statusCode, 200);
  t.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: identity');
  t.ok(plain.rawPayload.length >= GZIP_MIN_BYTES, `the rollup (${plain.rawPayload.length} bytes) is large enough to compress`);
  t.match(plain.headers.vary, /Accept-Encoding/, 'an identity answer still says it varies by encoding');

  const first = await app.inject({ method: 'GET', url: ROLLUP, headers: gzip });
  t.equal(first.headers['x-cache'], 'hit', 'the gzip answer comes from the entry the plain read filled');
  t.equal(first.headers['content-encoding'], 'gzip');
  t.match(first.headers.vary, /Accept-Encoding/);
  t.equal(gunzipSync(first.rawPayload).toString(), plain.body, 'decodes to the identity body, byte for byte');
  t.ok(first.rawPayload.length < plain.rawPayload.length / 3, `gzip ${first.rawPayload.length} vs ${plain.rawPayload.length} bytes`);
  t.equal(Number(first.headers['content-length']), first.rawPayload.length, 'content-length is the encoded length');
  t.equal(first.headers.etag, `${(plain.headers.etag as string).slice(0, -1)}-gzip"`, 'its own strong ETag');

  const second = await app.inject({ method: 'GET', url: ROLLUP, headers: gzip });
  t.ok(second.rawPayload.equals(first.rawPayload), 'a second hit sends the same encoded bytes');

  // A validator matches only the body this request would get (a shared cache holding both
  // must not be told its gzip copy suits a client that refused gzip).
  for (const etag of [first.headers.etag, `W/${first.headers.etag}`] as string[]) {
    const res = await app.inject({ method: 'GET', url: ROLLUP, headers: { ...gzip, 'if-none-match': etag } });
    t.equal(res.statusCode, 304, `gzip request, If-None-Match ${etag}`);
    t.equal(res.rawPayload.length, 0);
    t.equal(res.headers.etag, first.headers.etag);
    t.match(res.headers.vary, /Accept-Encoding/, 'a 304 varies as its 200 does');
  }
  const plainTag = await app.inject({ method: 'GET', url: ROLLUP, headers: { ...gzip, 'if-none-match': plain.headers.etag as string } });
  t.equal(plainTag.statusCode, 200, 'gzip request with the identity ETag: the gzip body');
  t.equal(plainTag.headers['content-encoding'], 'gzip');
  const refused = await app.inject({ method: 'GET', url: ROLLUP, headers: { 'accept-encoding': 'identity', 'if-none-match': `${first.headers.etag}` } });
  t.equal(refused.statusCode, 200, 'identity request with the gzip ETag: the identity body');
  t.equal(refused.body, plain.body);
  const identity304 = await app.inject({ method: 'GET', url: ROLLUP, headers: { 'if-none-match': `${first.headers.etag}, ${plain.headers.etag}` } });
  t.equal(identity304.statusCode, 304, 'identity request listing both: 304');
  t.equal(identity304.headers.etag, plain.headers.etag, 'with the identity ETag');

  // Refused or not offered: identity.
  for (const accept of ['identity', 'gzip;q=0', 'br', 'gzip;q=0, identity']) {
    const res = await app.inject({ method: 'GET', url: ROLLUP, headers: { 'accept-encoding': accept } });
    t.equal(res.headers['content-encoding'], undefined, `Accept-Encoding: ${accept}`);
    t.equal(res.body, plain.body);
  }
  const star = await app.inject({ method: 'GET', url: ROLLUP, headers: { 'accept-encoding': '*' } });
  t.equal(star.headers['content-encoding'], 'gzip', 'Accept-Encoding: * takes gzip');

  // A write moves the generation: the next gzip answer is of the new body, not the old one.
  const auth = { authorization: `Bearer ${ta.keys.write}` };
  const put = await app.inject({ method: 'PUT', url: '/v1/measures/BBH-02/readings/2019-20-Q2', headers: auth, payload: { status: 'not_available' } });
  t.equal(put.statusCode < 300, true, `write ${put.statusCode}`);
  const after = await app.inject({ method: 'GET', url: ROLLUP, headers: gzip });
  const afterPlain = await app.inject({ method: 'GET', url: ROLLUP });
  t.not(afterPlain.body, plain.body, 'the write changed the rollup');
  t.equal(gunzipSync(after.rawPayload).toString(), afterPlain.body, 'after a write: the new body');
  t.not(after.headers.etag, first.headers.etag);
});

t.test('without the response cache, and for small bodies', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const plain = await app.inject({ method: 'GET', url: ROLLUP });
  const zipped = await app.inject({ method: 'GET', url: ROLLUP, headers: gzip });
  t.equal(zipped.headers['x-cache'], undefined, 'no cache here');
  t.equal(zipped.headers['content-encoding'], 'gzip');
  t.equal(gunzipSync(zipped.rawPayload).toString(), plain.body);

  const measure = await app.inject({ method: 'GET', url: '/v1/measures/BBH-01', headers: gzip });
  t.equal(measure.statusCode, 200);
  t.ok(measure.rawPayload.length < GZIP_MIN_BYTES, `a measure is ${measure.rawPayload.length} bytes`);
  t.equal(measure.headers['content-encoding'], undefined, 'small bodies go as they are');
  t.equal(measure.json().code, 'BBH-01');

  const head = await app.inject({ method: 'HEAD', url: ROLLUP, headers: gzip });
  t.equal(head.statusCode, 200);
  t.equal(head.headers['content-encoding'], undefined, 'HEAD describes the identity body');
});

// Below Fastify's router, on a real socket: requests that are not HTTP, headers over the size
// limit and requests that never finish (slowloris) get problem+json and a closed connection.
import t from 'tap';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { fingerprint } from '../helpers/hostile.js';

interface Raw { text: string; ms: number; status: number; headers: Record<string, string>; body: string }

/** Writes raw bytes (optionally more, slowly) and reads until the server closes the connection. */
async function rawExchange(app: FastifyInstance, first: string | Buffer, opts: { dribble?: string; everyMs?: number; giveUpMs?: number } = {}): Promise<Raw> {
  const { port } = app.server.address() as { port: number };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(first));
    const chunks: Buffer[] = [];
    const drip = opts.dribble ? setInterval(() => { if (!s.destroyed) s.write(opts.dribble!); }, opts.everyMs ?? 200) : null;
    const giveUp = setTimeout(() => { s.destroy(); reject(new Error('the server kept the connection open')); }, opts.giveUpMs ?? 10_000);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined); // a reset after the answer is fine
    s.on('close', () => {
      if (drip) clearInterval(drip);
      clearTimeout(giveUp);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ text, ms: Date.now() - started, status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

function assertRawProblem(t: Test, r: Raw, status: number, type: string, name: string) {
  t.equal(r.status, status, `${name}: ${status}`);
  t.match(r.headers['content-type'], /^application\/problem\+json/, `${name}: problem+json`);
  t.equal(r.headers['x-content-type-options'], 'nosniff', `${name}: security headers`);
  const body = JSON.parse(r.body);
  t.equal(body.status, status);
  t.equal(body.type, `/problems/${type}`, `${name}: type`);
  t.type(body.detail, 'string');
}

t.test('client errors on a real socket are problem+json', async (t) => {
  const ta = await buildTestApp(t, { seed: true, env: { REQUEST_TIMEOUT_MS: '1000' } });
  await ta.app.listen({ port: 0, host: '127.0.0.1' });
  const before = await fingerprint(ta.db);

  assertRawProblem(t, await rawExchange(ta.app, 'THIS IS NOT HTTP\r\n\r\n'), 400, 'malformed-request', 'garbage request line');
  assertRawProblem(t, await rawExchange(ta.app, 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Name: x\r\n\r\n'), 400, 'malformed-request', 'invalid header name');
  assertRawProblem(t, await rawExchange(ta.app, Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nX-A: \x00\x01\r\n\r\n', 'latin1')), 400, 'malformed-request', 'control bytes in a header');
  assertRawProblem(t, await rawExchange(ta.app, `GET /v1/measures?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 431, 'headers-too-large', '20 kB request line');
  assertRawProblem(t, await rawExchange(ta.app, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`), 431, 'headers-too-large', '20 kB header');
  assertRawProblem(t, await rawExchange(ta.app, 'PUT /v1/priorities/X HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), 400, 'malformed-request', 'both Content-Length and chunked (request smuggling)');

  // Slowloris: headers trickling in forever. REQUEST_TIMEOUT_MS=1000 ends it in about a second or two.
  const slow = await rawExchange(ta.app, 'PUT /v1/priorities/X HTTP/1.1\r\nHost: x\r\n', { dribble: 'X-Slow: 1\r\n', everyMs: 200, giveUpMs: 8000 });
  assertRawProblem(t, slow, 408, 'request-timeout', 'headers that never end');
  t.ok(slow.ms < 3500, `closed after ${slow.ms} ms, not Node's 30 s check interval`);
  // (A body trickled in after complete headers is only cut by Node's headersTimeout, 60 s, in Node 20:
  // not tested here; see the report.)

  t.same(await fingerprint(ta.db), before, 'nothing was written');
  const ok = await fetch(`http://127.0.0.1:${(ta.app.server.address() as { port: number }).port}/health`);
  t.equal(ok.status, 200, 'the server still serves');
});

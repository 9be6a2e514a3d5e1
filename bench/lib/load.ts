// HTTP load with autocannon, always bounded in time (and, for writes, in count), loopback only.
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

// autocannon keeps each response body as a string (`body += chunk` in its pipelined-requests
// queue), decoding every chunk as UTF-8 in the load generator's one thread. The bench never
// reads bodies, and on a gzip body (binary: no ASCII fast path) that decoding, not the
// service, set the rate: a bare Fastify route sending the national rollup's 355 kB gzip body
// got 162 req/s at 10 connections, the same size of JSON text 3,700. So bodies are dropped.
const PipelinedRequestsQueue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js');
PipelinedRequestsQueue.prototype.addBody = function addBody() {};

export interface LoadResult {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Status of the first response, to tell a missing route (404) from a slow one. */
  firstStatus: number | null;
  /**
   * Writes (`bodies`): every request's latency (ms), so runs split into rounds can pool them:
   * from when autocannon built the request (just before sending it: one request at a time
   * per connection, built as the previous response arrives) to its response.
   */
  latencies?: number[];
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  /** Rotated through, one per request (e.g. different measure codes). */
  paths: string[];
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Bodies for POSTs, one per request, in order; the run stops after the last. */
  bodies?: string[];
  warmupSeconds?: number;
}

function assertLoopback(url: string) {
  const host = new URL(url).hostname;
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) throw new Error(`bench targets loopback only, not ${host}`);
}

async function once(base: string, o: LoadOptions, seconds: number): Promise<autocannon.Result & { firstStatus: number | null; elapsed: number; lat: number[] }> {
  assertLoopback(base);
  let i = 0;
  let firstStatus: number | null = null;
  // autocannon ends a count-bounded run on its next 1 s tick, so its own duration is rounded
  // up to whole seconds: time from the start to the last response instead.
  const t0 = performance.now();
  let last = t0;
  const lat: number[] = [];
  const bodies = o.bodies;
  const instance = autocannon({
    url: base,
    connections: o.connections,
    // Writes: exactly one request per body. Reads: a fixed time.
    ...(bodies ? { amount: bodies.length } : { duration: seconds }),
    timeout: 60,
    // Reads ask for gzip, as BI tools and browsers do (the service gzips bodies >= 4 KB);
    // autocannon counts the bytes and does not decode them.
    headers: (o.method ?? 'GET') === 'GET' ? { 'accept-encoding': 'gzip', ...o.headers } : o.headers,
    requests: [{
      method: o.method ?? 'GET',
      // autocannon passes the same context object to both hooks of a request, and, with one
      // entry in `requests` and no pipelining (as here), a fresh one to every request.
      setupRequest: (req: any, context: { builtAt?: number }) => {
        if (context) context.builtAt = performance.now();
        const n = i++;
        req.path = o.paths[n % o.paths.length];
        if (bodies) req.body = bodies[n % bodies.length];
        return req;
      },
      onResponse: (status: number, _body: unknown, context: { builtAt?: number }) => {
        if (firstStatus === null) firstStatus = status;
        last = performance.now();
        if (bodies) lat.push(last - (context?.builtAt ?? t0));
      },
    }],
  } as autocannon.Options);
  // Hard stop even for a count-bounded run: nothing here runs longer than seconds + 30 s.
  const guard = setTimeout(() => (instance as unknown as { stop(): void }).stop(), (seconds + 30) * 1000);
  const res = await instance;
  clearTimeout(guard);
  return Object.assign(res, { firstStatus, elapsed: (last - t0) / 1000, lat });
}

export async function load(name: string, base: string, o: LoadOptions): Promise<LoadResult> {
  if (o.warmupSeconds && !o.bodies) await once(base, o, o.warmupSeconds);
  const r = await once(base, o, o.seconds);
  const seconds = o.bodies ? r.elapsed : r.duration;
  return {
    name,
    connections: o.connections,
    seconds,
    requests: r.requests.total,
    rps: r.requests.total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    firstStatus: r.firstStatus,
    ...(o.bodies ? { latencies: r.lat } : {}),
  };
}

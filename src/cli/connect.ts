import { pino, type Logger } from 'pino';
import { loadConfig } from '../config.js';
import { createDatabase, type Database } from '../db/database.js';
import { startEmbedded } from '../db/embedded.js';
import { migrateToLatest } from '../db/migrate.js';

/**
 * For the npm scripts: connect to DATABASE_URL, or start the embedded PostgreSQL in DATA_DIR
 * (stop `npm start` first: one server per data directory), migrate, run, and close.
 */
export async function withDatabase<T>(fn: (db: Database, log: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const log = pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const embedded = config.DATABASE_URL ? null : await startEmbedded(config.DATA_DIR, log);
  const { db } = createDatabase({ url: config.DATABASE_URL ?? embedded!.url, poolMax: 4 });
  try {
    await migrateToLatest(db);
    return await fn(db, log);
  } finally {
    await db.destroy();
    await embedded?.stop();
  }
}

export async function runCli(main: () => Promise<void>) {
  try {
    await main();
    process.exit(0);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}

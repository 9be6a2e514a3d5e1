import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { ChangeFeed } from './db/change-feed.js';
import { createDatabase } from './db/database.js';
import { startEmbedded, type EmbeddedDatabase } from './db/embedded.js';
import { migrateToLatest } from './db/migrate.js';
import { loggerOptions } from './logger.js';
import { ensureKey } from './repositories/api-keys.js';
import { seedIfEmpty } from './seed/loader.js';

async function main(config: Config) {
  const started = Date.now();
  const log = pino(loggerOptions(config.LOG_LEVEL));
  let embedded: EmbeddedDatabase | null = null;
  let closing = false;

  // Installed before anything slow, so SIGTERM during start-up still stops PostgreSQL.
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let database: ReturnType<typeof createDatabase> | null = null;
  let changes: ChangeFeed | null = null;
  const shutdown = async () => {
    closing = true;
    if (app) await app.close();
    await changes?.close();
    if (database) await database.db.destroy();
    if (embedded) await embedded.stop();
    log.info('stopped');
  };
  closeWithGrace({ delay: 10_000, logger: log }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down: finishing requests in flight');
    await shutdown();
  });
  try {
    await start();
  } catch (err) {
    log.error({ err }, 'start-up failed');
    console.error(`Start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown().catch(() => undefined);
    process.exit(1);
  }

  async function start() {

  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbedded(config.DATA_DIR, log);
    url = embedded.url;
  }
  if (closing) return;
  database = createDatabase({
    url,
    poolMax: config.DB_POOL_MAX,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
  });
  const ran = await migrateToLatest(database.db);
  if (ran.length) log.info({ migrations: ran }, 'migrations applied');

  if (config.BOOTSTRAP_API_KEY && (await ensureKey(database.db, config.BOOTSTRAP_API_KEY, 'bootstrap', 'admin'))) {
    log.info('bootstrap admin key created from BOOTSTRAP_API_KEY');
  }
  if (config.SEED) {
    const seeded = await seedIfEmpty(database.db, log);
    if (seeded) log.info(seeded, 'empty database: loaded the report scorecard from seeds/');
  }
  if (closing) return;

  changes = new ChangeFeed(url, log);
  await changes.start();
  app = await buildApp({ config, db: database.db, logger: log, changes });
  await app.listen({ port: config.PORT, host: config.HOST });
  log.info({ ms: Date.now() - started, docs: `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}/docs/` }, 'service ready');
  }
}

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
void main(config);

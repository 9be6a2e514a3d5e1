import type { Test } from 'tap';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createDatabase, type Database, type DatabaseOptions } from '../../src/db/database.js';
import { generateKey, insertKey } from '../../src/repositories/api-keys.js';
import { cloneDatabase, TEMPLATE_EMPTY, TEMPLATE_SEEDED } from './databases.js';

export interface TestApp {
  app: FastifyInstance;
  db: Database;
  url: string;
  config: Config;
  keys: { admin: string; write: string; read: string };
  /** inject() with a bearer key (default: admin). */
  as: (key: 'admin' | 'write' | 'read' | null, opts: InjectOptions) => Promise<LightMyRequestResponse>;
}

export function serverUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the suite with `npm test` (test/run.ts prepares the database)');
  return url;
}

export interface TestAppOptions {
  seed?: boolean;
  env?: Record<string, string>;
  /** The app's logger (e.g. pino writing to a stream the test reads); default: LOG_LEVEL silent. */
  logger?: Logger;
  /** Pool settings; by default the statement and lock timeouts come from the config, as in server.ts. */
  pool?: Omit<DatabaseOptions, 'url'>;
}

/**
 * One app on its own database per test file: `seed: true` clones the template holding the
 * report's scorecard, otherwise an empty migrated one. Torn down with the test.
 */
export async function buildTestApp(t: Test, opts: TestAppOptions = {}): Promise<TestApp> {
  const { url, drop } = await cloneDatabase(serverUrl(), opts.seed ? TEMPLATE_SEEDED : TEMPLATE_EMPTY);
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '0', DATABASE_URL: url, ...opts.env });
  const { db } = createDatabase({
    url,
    poolMax: 8,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
    ...opts.pool,
  });
  const keys = { admin: generateKey(), write: generateKey(), read: generateKey() };
  await insertKey(db, keys.admin, 'test-admin', 'admin');
  await insertKey(db, keys.write, 'test-writer', 'write');
  await insertKey(db, keys.read, 'test-reader', 'read');
  const app = await buildApp({ config, db, logger: opts.logger });
  t.teardown(async () => {
    await app.close();
    await db.destroy();
    await drop();
  });
  const as: TestApp['as'] = (key, o) =>
    app.inject({ ...o, headers: { ...(key ? { authorization: `Bearer ${keys[key]}` } : {}), ...(o.headers ?? {}) } });
  return { app, db, url, config, keys, as };
}

/** Creates a priority and a measure for tests that build their own data. */
export async function defineMeasure(ta: TestApp, code: string, body: Record<string, unknown> = {}, priority = 'P1') {
  const p = await ta.as('admin', { method: 'PUT', url: `/v1/priorities/${priority}`, payload: { title: `Priority ${priority}` } });
  if (p.statusCode >= 300) throw new Error(`priority: ${p.statusCode} ${p.body}`);
  const m = await ta.as('admin', { method: 'PUT', url: `/v1/measures/${code}`, payload: { priority, title: `Measure ${code}`, polarity: 'higher', ...body } });
  if (m.statusCode >= 300) throw new Error(`measure: ${m.statusCode} ${m.body}`);
  return m.json();
}

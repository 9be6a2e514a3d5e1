import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDatabase } from './db/database.js';

/** The document the service serves, built without a database (the pool never connects). */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const { db } = createDatabase({ url: 'postgres://unused@127.0.0.1:1/unused' });
  const app = await buildApp({ config: loadConfig({ LOG_LEVEL: 'silent' }), db });
  await app.ready();
  const doc = app.swagger() as unknown as Record<string, unknown>;
  await app.close();
  await db.destroy();
  return doc;
}

import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Templates are named per `npm test` run (test/run.ts passes its id to the test files), so two
 * runs on one PostgreSQL server, e.g. two checkouts on a shared DATABASE_URL, do not drop
 * each other's templates.
 */
export const TEST_RUN_ID = process.env.TEST_RUN_ID ?? String(process.pid);
export const TEMPLATE_EMPTY = `scorecard_test_tpl_${TEST_RUN_ID}_empty`;
export const TEMPLATE_SEEDED = `scorecard_test_tpl_${TEST_RUN_ID}_seeded`;

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement on the server's maintenance database (CREATE/DROP DATABASE). */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database for one test file, cloned from a template; returns its URL and a dropper. */
export async function cloneDatabase(serverUrl: string, template: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `scorecard_t_${randomBytes(6).toString('hex')}`;
  // CREATE DATABASE ... TEMPLATE fails while another session is connected to the template;
  // the templates are only connected to during set-up, so a short retry covers races.
  for (let i = 0; ; i++) {
    try {
      await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      if (i >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100 + i * 50));
    }
  }
  return {
    url: withDatabase(serverUrl, name),
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

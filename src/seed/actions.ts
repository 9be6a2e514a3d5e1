import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import type { ActionBody, UpdateBody } from '../schemas/actions.js';
import { quarterKey, writeAction, writeActionUpdate } from '../services/action-writer.js';

// Same value as SEED_SOURCE in loader.ts; repeated so loader.ts can import this file without a cycle.
const SOURCE = 'seed:report-2019-20-q2';

type SeedAction = ActionBody & { code: string; updates: (UpdateBody & { period: string })[] };

/**
 * Loads seeds/actions.json through the routes' own write functions, in one transaction.
 * Idempotent: a second run finds every action and update equal and writes nothing.
 * Returns how many actions the file holds and how many updates changed.
 */
export async function seedActions(db: Database, dir: string, log?: Logger): Promise<{ actions: number; updatesWritten: number }> {
  const seeds = JSON.parse(await readFile(`${dir}actions.json`, 'utf8')) as SeedAction[];
  const updatesWritten = await inTransaction(db, async (trx) => {
    let written = 0;
    for (const { code, updates, ...body } of seeds) {
      await writeAction(trx, code, body);
      for (const { period, ...u } of updates) {
        const key = quarterKey(period, `actions.json/${code}/updates/${period}`);
        if ((await writeActionUpdate(trx, code, key, u, SOURCE)).changed) written++;
      }
    }
    return written;
  });
  log?.debug({ count: seeds.length, updatesWritten }, 'seed: actions');
  return { actions: seeds.length, updatesWritten };
}

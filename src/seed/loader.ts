import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { inTransaction } from '../db/transaction.js';
import { PROJECT_ROOT } from '../project-root.js';
import { AppError, type FieldError } from '../errors.js';
import { upsertPriority } from '../repositories/priorities.js';
import type { MeasureBody } from '../schemas/measures.js';
import type { PriorityBody } from '../schemas/priorities.js';
import type { BatchItem } from '../schemas/readings.js';
import { writeMeasure } from '../services/measure-writer.js';
import { toReadingChange } from '../services/reading-writes.js';
import { applyChanges, lockMeasures } from '../services/scorecard-writer.js';
import { seedActions } from './actions.js';

export const SEEDS_DIR = join(PROJECT_ROOT, 'seeds/');
export const SEED_SOURCE = 'seed:report-2019-20-q2';

export interface SeedFiles {
  priorities: (PriorityBody & { code: string })[];
  measures: (MeasureBody & { code: string })[];
  /** Readings as the API takes them, plus the report's printed rating and arrow (for tests). */
  readings: (BatchItem & { printedRag?: string | null; printedArrow?: string | null })[];
}

export async function readSeedFiles(dir = SEEDS_DIR): Promise<SeedFiles> {
  const read = async (name: string) => JSON.parse(await readFile(`${dir}${name}`, 'utf8'));
  return { priorities: await read('priorities.json'), measures: await read('measures.json'), readings: await read('readings.json') };
}

export interface SeedResult { priorities: number; measures: number; readings: number; readingsWritten: number; actions: number }

/**
 * Loads seeds/ through the same functions the API's writes use, so every reading's rating
 * and trend are derived exactly as a posted one would be. Idempotent: a second run finds
 * everything equal and writes nothing.
 */
export async function loadSeeds(db: Database, log?: Logger, dir = SEEDS_DIR): Promise<SeedResult> {
  const seeds = await readSeedFiles(dir);
  for (const { code, title, objectives } of seeds.priorities) {
    await upsertPriority(db, code, { title, objectives });
  }
  log?.debug({ count: seeds.priorities.length }, 'seed: priorities');

  await inTransaction(db, async (trx) => {
    for (const { code, ...body } of seeds.measures) await writeMeasure(trx, code, { put: body }, SEED_SOURCE);
  });
  log?.debug({ count: seeds.measures.length }, 'seed: measures');

  const errors: FieldError[] = [];
  const changes = seeds.readings.map(({ printedRag: _r, printedArrow: _a, ...item }, i) =>
    toReadingChange(item, i, `readings.json/${i}`, errors));
  if (errors.length) throw new AppError('unprocessable-content', `seeds/readings.json is not valid: ${JSON.stringify(errors.slice(0, 5))}`);
  const written = await inTransaction(db, async (trx) => {
    const measures = await lockMeasures(trx, changes.map((c) => c.measure));
    const unknown = changes.filter((c) => !measures.has(c.measure));
    if (unknown.length) throw new Error(`seeds/readings.json names unknown measures: ${unknown.map((u) => u.measure).join(', ')}`);
    return (await applyChanges(trx, measures, { readings: changes }, { source: SEED_SOURCE })).written;
  });
  log?.debug({ count: changes.length, written }, 'seed: readings');

  const { actions } = await seedActions(db, dir, log);
  return { priorities: seeds.priorities.length, measures: seeds.measures.length, readings: changes.length, readingsWritten: written, actions };
}

export async function seedIfEmpty(db: Database, log?: Logger): Promise<SeedResult | null> {
  const any = await db.selectFrom('priorities').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  return loadSeeds(db, log);
}

import type { Transaction } from 'kysely';
import type { DB } from '../db/types.js';
import { AppError, invalid } from '../errors.js';
import { bodyOf, insertMeasure, measureColumns, rulesChanged, sameColumns, updateMeasure } from '../repositories/measures.js';
import { priorityIds } from '../repositories/priorities.js';
import type { MeasureBody, MeasurePatch } from '../schemas/measures.js';
import { lockKeyOf } from '../repositories/write-store.js';
import { applyChanges, lockMeasureRow, lockMovedTo } from './scorecard-writer.js';

/**
 * Creates, replaces or patches a measure under its row lock. When a field the rules read
 * changes (polarity, MI-only, frequency, trend basis), every stored reading of the measure is
 * re-derived in the same transaction.
 */
export async function writeMeasure(
  trx: Transaction<DB>, code: string, input: { put: MeasureBody } | { patch: MeasurePatch }, source: string,
): Promise<{ created: boolean; rederived: number }> {
  let current = await lockMeasureRow(trx, code);
  let body: MeasureBody;
  if ('put' in input) {
    body = input.put;
  } else {
    if (!current) throw new AppError('not-found', `Measure '${code}' does not exist; create it with PUT`);
    const priorityCode = (await trx.selectFrom('priorities').select('code').where('id', '=', current.priority_id).executeTakeFirstOrThrow()).code;
    body = { ...bodyOf(current, priorityCode), ...input.patch } as MeasureBody;
  }
  const ids = await priorityIds(trx, [body.priority]);
  const priorityId = ids.get(body.priority);
  if (priorityId === undefined) throw invalid('/body/priority', `priority '${body.priority}' does not exist`);
  const cols = measureColumns(body, priorityId);

  if (!current) {
    if (await insertMeasure(trx, code, cols)) return { created: true, rederived: 0 };
    // Created by a concurrent request since we looked: lock it and replace it like any other.
    current = (await lockMeasureRow(trx, code))!;
  }
  const { id: _id, code: _c, created_at: _ca, updated_at: _ua, ...before } = current;
  if (sameColumns(before, cols)) return { created: false, rederived: 0 };
  // Writers lock a measure through its priority: moving it, hold the new priority's lock too.
  if (cols.priority_id !== current.priority_id) await lockMovedTo(trx, cols.priority_id);
  await updateMeasure(trx, current.id, cols);
  if (!rulesChanged(before, cols)) return { created: false, rederived: 0 };
  const relocked = new Map([[code, { id: current.id, code, lockKey: lockKeyOf(current.priority_id) }]]);
  const out = await applyChanges(trx, relocked, { allPeriodsOf: [relocked.get(code)!] }, { source });
  return { created: false, rederived: out.rederived };
}

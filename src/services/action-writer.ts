// Writes of actions and their quarterly updates, shared by the routes and the seed loader so
// seeded data goes through exactly the path a client's PUT does.
import type { Transaction } from 'kysely';
import type { DB } from '../db/types.js';
import { parsePeriod, periodKey } from '../domain/periods.js';
import { AppError, invalid, notFound } from '../errors.js';
import { getUpdate, lockAction, putUpdate, updateView, upsertAction } from '../repositories/actions.js';
import { priorityIds } from '../repositories/priorities.js';
import type { ActionBody, UpdateBody, UpdateView } from '../schemas/actions.js';

type Trx = Transaction<DB>;

/** A quarter's period key; a year or a malformed period is a 400 naming the path parameter. */
export function quarterKey(period: string, field = '/params/period'): number {
  const p = parsePeriod(period);
  if (!p || p.kind !== 'quarter') {
    throw new AppError('validation-error', `'${period}' is not a quarter: use e.g. '2019-20-Q2' (years must be consecutive)`, {
      errors: [{ field, message: 'is not a valid financial-year quarter' }],
    });
  }
  return periodKey(p);
}

export async function writeAction(trx: Trx, code: string, body: ActionBody): Promise<{ created: boolean }> {
  const priorityId = (await priorityIds(trx, [body.priority])).get(body.priority);
  if (priorityId === undefined) throw invalid('/body/priority', `priority '${body.priority}' does not exist`);
  return upsertAction(trx, code, body, priorityId);
}

/**
 * Stores one quarter's update under the action's row lock, so two writers of the same action
 * cannot both read revision n and both write n + 1. The same status and text again is a no-op:
 * no new revision, the stored update is returned unchanged.
 */
export async function writeActionUpdate(
  trx: Trx, code: string, key: number, body: UpdateBody, source: string, now = new Date(),
): Promise<{ view: UpdateView; created: boolean; changed: boolean }> {
  const action = await lockAction(trx, code);
  if (!action) throw notFound(`Action '${code}'`);
  const current = await getUpdate(trx, action.id, key);
  if (current && current.status === body.status && current.text === body.text) {
    return { view: updateView(code, key, current), created: false, changed: false };
  }
  const next = { status: body.status, text: body.text, revision: (current?.revision ?? 0) + 1, source, updatedAt: now };
  await putUpdate(trx, action.id, key, next);
  return { view: updateView(code, key, next), created: current === null, changed: true };
}

import { sql } from 'kysely';
import { formatPeriod, periodFromKey } from '../domain/periods.js';
import type { ActionStatus } from '../domain/types.js';
import type { ActionBody, ActionListItem, ActionView, UpdateView } from '../schemas/actions.js';
import type { Executor } from './readings.js';

export interface ActionRow { id: number; code: string; priority_id: number }
export interface StoredUpdate { status: ActionStatus; text: string; revision: number; source: string; updatedAt: Date }

const viewQuery = (db: Executor) =>
  db.selectFrom('actions as a').innerJoin('priorities as p', 'p.id', 'a.priority_id')
    .select(['a.id', 'a.code', 'p.code as priority_code', 'a.objective', 'a.title', 'a.directorates', 'a.leads', 'a.updated_at']);

type ViewRow = Awaited<ReturnType<ReturnType<typeof viewQuery>['executeTakeFirstOrThrow']>>;
const toView = (r: ViewRow): ActionView => ({
  code: r.code, priority: r.priority_code, objective: r.objective, title: r.title,
  directorates: r.directorates, leads: r.leads, updatedAt: r.updated_at.toISOString(),
});

export const updateView = (code: string, key: number, u: StoredUpdate): UpdateView => ({
  action: code, period: formatPeriod(periodFromKey(key)), status: u.status, text: u.text,
  revision: u.revision, source: u.source, updatedAt: u.updatedAt.toISOString(),
});

export async function getAction(db: Executor, code: string): Promise<(ActionView & { id: number }) | null> {
  const r = await viewQuery(db).where('a.code', '=', code).executeTakeFirst();
  return r ? { ...toView(r), id: r.id } : null;
}

export interface ActionFilter { priority?: string; key?: number; status?: ActionStatus }

/** Keyset page by id; with a period key, each item carries that quarter's update (or null). */
export async function listActions(db: Executor, f: ActionFilter, afterId: number | null, limit: number): Promise<(ActionListItem & { id: number })[]> {
  let q = viewQuery(db)
    .leftJoin('action_updates as u', (j) => j.onRef('u.action_id', '=', 'a.id').on('u.period_key', '=', f.key ?? -1))
    .select(['u.period_key', 'u.status', 'u.text', 'u.revision', 'u.source', 'u.updated_at as u_updated_at'])
    .orderBy('a.id').limit(limit);
  if (afterId !== null) q = q.where('a.id', '>', afterId);
  if (f.priority) q = q.where('p.code', '=', f.priority);
  if (f.status) q = q.where('u.status', '=', f.status);
  return (await q.execute()).map((r) => ({
    ...toView(r),
    id: r.id,
    ...(f.key === undefined ? {} : {
      update: r.period_key === null ? null : updateView(r.code, r.period_key, {
        status: r.status as ActionStatus, text: r.text!, revision: r.revision!, source: r.source!, updatedAt: r.u_updated_at!,
      }),
    }),
  }));
}

export async function actionUpdates(db: Executor, action: { id: number; code: string }, key?: number): Promise<UpdateView[]> {
  let q = db.selectFrom('action_updates').selectAll().where('action_id', '=', action.id).orderBy('period_key');
  if (key !== undefined) q = q.where('period_key', '=', key);
  return (await q.execute()).map((u) => updateView(action.code, u.period_key, {
    status: u.status as ActionStatus, text: u.text, revision: u.revision, source: u.source, updatedAt: u.updated_at,
  }));
}

/** Creates or replaces; the same body again changes nothing (not even updated_at). */
export async function upsertAction(db: Executor, code: string, body: ActionBody, priorityId: number): Promise<{ created: boolean }> {
  const directorates = JSON.stringify(body.directorates ?? []);
  const leads = JSON.stringify(body.leads ?? []);
  const res = await sql<{ created: boolean }>`
    insert into actions (code, priority_id, objective, title, directorates, leads)
    values (${code}, ${priorityId}, ${body.objective}, ${body.title}, ${directorates}::jsonb, ${leads}::jsonb)
    on conflict (code) do update set priority_id = excluded.priority_id, objective = excluded.objective, title = excluded.title,
      directorates = excluded.directorates, leads = excluded.leads, updated_at = now()
      where (actions.priority_id, actions.objective, actions.title, actions.directorates, actions.leads)
        is distinct from (excluded.priority_id, excluded.objective, excluded.title, excluded.directorates, excluded.leads)
    returning (xmax = 0) as created`.execute(db);
  return { created: res.rows[0]?.created ?? false };
}

/** Locks an action row so concurrent writers of its updates serialise (FOR NO KEY UPDATE: updates still reference it). */
export async function lockAction(db: Executor, code: string): Promise<ActionRow | null> {
  const r = await sql<ActionRow>`select id, code, priority_id from actions where code = ${code} for no key update`.execute(db);
  return r.rows[0] ?? null;
}

export async function getUpdate(db: Executor, actionId: number, key: number): Promise<StoredUpdate | null> {
  const u = await db.selectFrom('action_updates').selectAll().where('action_id', '=', actionId).where('period_key', '=', key).executeTakeFirst();
  return u ? { status: u.status as ActionStatus, text: u.text, revision: u.revision, source: u.source, updatedAt: u.updated_at } : null;
}

export async function putUpdate(db: Executor, actionId: number, key: number, u: StoredUpdate): Promise<void> {
  await db.insertInto('action_updates')
    .values({ action_id: actionId, period_key: key, status: u.status, text: u.text, revision: u.revision, source: u.source, updated_at: u.updatedAt })
    .onConflict((oc) => oc.columns(['action_id', 'period_key']).doUpdateSet({
      status: u.status, text: u.text, revision: u.revision, source: u.source, updated_at: u.updatedAt,
    }))
    .execute();
  await db.insertInto('action_update_revisions')
    .values({ action_id: actionId, period_key: key, revision: u.revision, status: u.status, text: u.text, source: u.source, created_at: u.updatedAt })
    .execute();
}

export async function updateRevisions(db: Executor, actionId: number, key: number, afterRevision: number | null, limit: number) {
  let q = db.selectFrom('action_update_revisions').selectAll()
    .where('action_id', '=', actionId).where('period_key', '=', key).orderBy('revision').limit(limit);
  if (afterRevision !== null) q = q.where('revision', '>', afterRevision);
  return (await q.execute()).map((r) => ({
    revision: r.revision, status: r.status as ActionStatus, text: r.text, source: r.source, createdAt: r.created_at.toISOString(),
  }));
}

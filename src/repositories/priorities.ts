import { sql } from 'kysely';
import type { PriorityBody, PriorityView } from '../schemas/priorities.js';
import type { Executor } from './readings.js';

const select = (db: Executor) =>
  db.selectFrom('priorities as p').select([
    'p.id', 'p.code', 'p.title', 'p.objectives', 'p.position', 'p.updated_at',
    sql<number>`(select count(*)::int from measures m where m.priority_id = p.id)`.as('measure_count'),
    sql<number>`(select count(*)::int from actions a where a.priority_id = p.id)`.as('action_count'),
  ]);

type Row = Awaited<ReturnType<ReturnType<typeof select>['executeTakeFirstOrThrow']>>;
const toView = (r: Row): PriorityView => ({
  code: r.code, title: r.title, objectives: r.objectives, position: r.position,
  measureCount: r.measure_count, actionCount: r.action_count, updatedAt: r.updated_at.toISOString(),
});

/** Report order; id breaks ties (two priorities created at once can share a position). */
export async function listPriorities(db: Executor, after: [number, number] | null, limit: number): Promise<(PriorityView & { id: number })[]> {
  let q = select(db).orderBy('p.position').orderBy('p.id').limit(limit);
  if (after !== null) q = q.where((eb) => eb(eb.refTuple('p.position', 'p.id'), '>', eb.tuple(after[0], after[1])));
  return (await q.execute()).map((r) => ({ ...toView(r), id: r.id }));
}

export async function getPriority(db: Executor, code: string): Promise<PriorityView | null> {
  const r = await select(db).where('p.code', '=', code).executeTakeFirst();
  return r ? toView(r) : null;
}

export async function priorityIds(db: Executor, codes: string[]): Promise<Map<string, number>> {
  if (!codes.length) return new Map();
  const rows = await db.selectFrom('priorities').select(['id', 'code']).where('code', 'in', [...new Set(codes)]).execute();
  return new Map(rows.map((r) => [r.code, r.id]));
}

/** Creates or replaces; a repeat of the same body changes nothing (not even updated_at). */
export async function upsertPriority(db: Executor, code: string, body: PriorityBody): Promise<{ created: boolean }> {
  const objectives = JSON.stringify(body.objectives ?? []);
  const res = await sql<{ created: boolean }>`
    insert into priorities (code, title, objectives, position)
    values (${code}, ${body.title}, ${objectives}::jsonb, (select coalesce(max(position), 0) + 1 from priorities))
    on conflict (code) do update set title = excluded.title, objectives = excluded.objectives, updated_at = now()
      where (priorities.title, priorities.objectives) is distinct from (excluded.title, excluded.objectives)
    returning (xmax = 0) as created`.execute(db);
  return { created: res.rows[0]?.created ?? false };
}

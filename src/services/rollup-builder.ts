// Folds the rollup queries' grouped rows into the API's rollup shapes. The rules stay pure:
// which readings are due comes from isDue, the status from the rollup rule's weights.
import type { Database } from '../db/database.js';
import { formatPeriod, isDue, periodFromKey, type Period } from '../domain/periods.js';
import type { RollupRule } from '../domain/rollup.js';
import { scoreCounts } from '../domain/rollup.js';
import { ACTION_STATUSES, RAGS, type ActionStatus, type Frequency } from '../domain/types.js';
import {
  headlineRows, priorityIdOf, priorityTotals, workingActions, workingMeasures,
  type HeadlineRow, type PriorityTotals, type Scope, type WorkingActionRow, type WorkingMeasureRow,
} from '../repositories/rollups.js';
import { LEFT_OUT_REASONS, type CouncilRollup, type LeftOutReason, type PriorityRollup } from '../schemas/rollups.js';

type Measures = PriorityRollup['measures'];
type Actions = PriorityRollup['actions'];

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
const emptyMeasures = (): Measures => ({
  total: 0, rated: 0, byRating: zeros(RAGS), notRated: { total: 0, byReason: zeros(LEFT_OUT_REASONS) },
  trend: { improving: 0, declining: 0, noChange: 0, none: 0, improvingShare: null, improvingShareOfMoved: null },
});
const emptyActions = (): Actions => ({ total: 0, byStatus: zeros(ACTION_STATUSES), withoutUpdate: 0 });
const periodOf = (key: number | null) => (key === null ? null : formatPeriod(periodFromKey(key)));

function reasonOf(reason: string | null): LeftOutReason {
  if ((LEFT_OUT_REASONS as readonly string[]).includes(reason ?? '')) return reason as LeftOutReason;
  throw new Error(`rollup: unrated reading with unknown reason ${JSON.stringify(reason)}`);
}

function addMeasures(into: Measures, from: Measures) {
  into.total += from.total;
  into.rated += from.rated;
  for (const k of RAGS) into.byRating[k] += from.byRating[k];
  into.notRated.total += from.notRated.total;
  for (const k of LEFT_OUT_REASONS) into.notRated.byReason[k] += from.notRated.byReason[k];
  into.trend.improving += from.trend.improving;
  into.trend.declining += from.trend.declining;
  into.trend.noChange += from.trend.noChange;
  into.trend.none += from.trend.none;
}

function finishTrend(m: Measures) {
  const { improving, declining, noChange } = m.trend;
  const share = (of: number) => (of === 0 ? null : Math.round((improving / of) * 10_000) / 10_000);
  m.trend.improvingShare = share(improving + declining + noChange);
  m.trend.improvingShareOfMoved = share(improving + declining);
}

const FREQUENCIES: Frequency[] = ['quarterly', 'biannual', 'annual'];

/** The (frequency, reporting quarter) pairs due in the period, by the pure rule, for the SQL to filter on. */
export function dueKeys(p: Period): string[] {
  return FREQUENCIES.flatMap((f) => [0, 1, 2, 3, 4].filter((q) => isDue(p, f, q || null)).map((q) => `${f}:${q}`));
}

interface Lists { headline: HeadlineRow[]; measures: WorkingMeasureRow[] | null; actions: WorkingActionRow[] | null }

/** Groups rows by priority once, so many priorities stay linear. */
function byPriority<T extends { priority_id: number }>(list: T[] | null): (id: number) => T[] | null {
  if (list === null) return () => null;
  const m = new Map<number, T[]>();
  for (const r of list) (m.get(r.priority_id) ?? m.set(r.priority_id, []).get(r.priority_id)!).push(r);
  return (id) => m.get(id) ?? [];
}

function fold(t: PriorityTotals): { measures: Measures; completeness: PriorityRollup['completeness'] } {
  const measures = emptyMeasures();
  const completeness = { expected: 0, received: 0, missing: [] as string[], receivedNotDue: 0 };
  for (const g of t.m ?? []) {
    measures.total += g.n;
    let rated = 0;
    for (const k of RAGS) {
      measures.byRating[k] += g[k];
      rated += g[k];
    }
    measures.rated += rated;
    if (g.n > rated) {
      measures.notRated.total += g.n - rated;
      measures.notRated.byReason[reasonOf(g.reason)] += g.n - rated;
    }
    measures.trend.improving += g.improving;
    measures.trend.declining += g.declining;
    measures.trend.noChange += g.no_change;
    measures.trend.none += g.n - g.improving - g.declining - g.no_change;
    if (g.due) {
      completeness.expected += g.n;
      if (g.received) completeness.received += g.n;
      else completeness.missing.push(...(g.missing ?? []));
    } else if (g.received) {
      completeness.receivedNotDue += g.n;
    }
  }
  finishTrend(measures);
  completeness.missing.sort();
  return { measures, completeness };
}

function priorityRollup(rule: RollupRule, t: PriorityTotals, lists: Lists): PriorityRollup {
  const { measures, completeness } = fold(t);
  const actions = emptyActions();
  if (t.a) {
    actions.total = t.a.total;
    actions.withoutUpdate = t.a.without_update;
    for (const s of ACTION_STATUSES) actions.byStatus[s] = t.a[s];
  }
  const score = scoreCounts(rule, measures.byRating, actions.byStatus);
  const weighted = (s: ActionStatus) => Object.hasOwn(rule.actionWeights, s) && rule.actionWeights[s] !== undefined;
  const out: PriorityRollup = {
    code: t.code, title: t.title, position: t.position,
    status: score.status, score: score.score,
    counted: score.counted,
    leftOut: { measures: measures.notRated.total, actions: score.leftOut.actions + actions.withoutUpdate },
    measures, actions,
    headline: lists.headline.map((h) => ({
      code: h.code, title: h.title, rag: h.rag,
      latestRating: h.latest_rag && h.latest_key !== null ? { rag: h.latest_rag, period: periodOf(h.latest_key)! } : null,
    })),
    completeness,
  };
  if (lists.measures && lists.actions) {
    out.working = {
      measures: lists.measures.map((m) => ({
        code: m.code, period: periodOf(m.period_key), rag: m.rag, counted: m.rag !== null,
        reason: m.rag !== null ? null : reasonOf(m.reason),
        trend: m.trend, due: m.due,
      })),
      actions: lists.actions.map((a) => ({
        code: a.code, period: periodOf(a.period_key), status: a.status,
        counted: a.status !== null && weighted(a.status),
        reason: a.status === null ? 'no_update_stored' as const : weighted(a.status) ? null : 'not_weighted' as const,
      })),
    };
  }
  return out;
}

export interface RollupRequest { period: Period; priority: string | null; working: boolean }

/**
 * Runs the rollup's statements in one read-only REPEATABLE READ transaction, so the figures,
 * the headline list and the working describe the same snapshot while writers are busy.
 * Returns null when the priority asked for does not exist.
 */
export async function buildRollup(db: Database, rule: RollupRule, req: RollupRequest): Promise<Omit<CouncilRollup, 'rule'> | null> {
  const rows = await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (trx) => {
    const priorityId = req.priority === null ? null : await priorityIdOf(trx, req.priority);
    if (req.priority !== null && priorityId === null) return null;
    const scope: Scope = { period: req.period, priorityId, dueKeys: dueKeys(req.period) };
    return {
      totals: await priorityTotals(trx, scope, req.priority),
      headline: await headlineRows(trx, scope),
      measures: req.working ? await workingMeasures(trx, scope) : null,
      actions: req.working ? await workingActions(trx, scope) : null,
    };
  });
  if (!rows) return null;

  const [headline, wm, wa] = [byPriority(rows.headline), byPriority(rows.measures), byPriority(rows.actions)];
  const priorities = rows.totals.map((t) => priorityRollup(rule, t, { headline: headline(t.id) ?? [], measures: wm(t.id), actions: wa(t.id) }));
  const measures = emptyMeasures();
  const actions = emptyActions();
  const byStatus = { green: 0, amber: 0, red: 0, unrated: 0 };
  const completeness = { expected: 0, received: 0, missing: 0 };
  for (const pr of priorities) {
    addMeasures(measures, pr.measures);
    actions.total += pr.actions.total;
    actions.withoutUpdate += pr.actions.withoutUpdate;
    for (const s of ACTION_STATUSES) actions.byStatus[s] += pr.actions.byStatus[s];
    byStatus[pr.status ?? 'unrated']++;
    completeness.expected += pr.completeness.expected;
    completeness.received += pr.completeness.received;
    completeness.missing += pr.completeness.missing.length;
  }
  finishTrend(measures);
  return {
    period: formatPeriod(req.period),
    overall: { priorities: { total: priorities.length, byStatus }, measures, actions, completeness },
    priorities,
  };
}

// A priority's overall status from its measures' ratings and its actions' statuses (DOMAIN.md, "Rollups").
import { D } from './decimal.js';
import { ACTION_STATUSES, RAGS, type ActionStatus, type Rag } from './types.js';

export interface RollupRule {
  name: string;
  ragWeights: Record<Rag, number>;
  /** A status without a weight is left out of the mean (and counted in leftOut). */
  actionWeights: Partial<Record<ActionStatus, number>>;
  /** The mean is green at >= green, amber at >= amber, red below. */
  green: number;
  amber: number;
}

export type RollupStatus = 'green' | 'amber' | 'red';
export interface RollupItems { ragsOfMeasures: Rag[]; actionStatuses: ActionStatus[] }
export interface RollupScore {
  status: RollupStatus | null;
  /** The mean rounded to 2 places for display; the status comes from the exact mean. */
  score: number | null;
  counted: { measures: number; actions: number };
  leftOut: { actions: number };
}

// Reproduces the report's five priority statuses (four amber, one green).
export const DEFAULT_ROLLUP_RULE: RollupRule = deepFreeze({
  name: 'mean-score-v1',
  ragWeights: { HG: 5, LG: 4, A: 3, LR: 2, HR: 1 },
  actionWeights: { green: 4, amber: 3, red: 1, complete: 5 },
  green: 4,
  amber: 2.5,
});

/** Scores a list of items; the same as scoreCounts over their counts. */
export function scoreRollup(rule: RollupRule, items: RollupItems): RollupScore {
  const rags = Object.fromEntries(RAGS.map((r) => [r, 0])) as Record<Rag, number>;
  for (const rag of items.ragsOfMeasures) rags[rag]++;
  const actions: Partial<Record<ActionStatus, number>> = {};
  for (const s of items.actionStatuses) actions[s] = (actions[s] ?? 0) + 1;
  return scoreCounts(rule, rags, actions);
}

/**
 * Scores from counts (a rollup over 200k measures has counts, not item lists). Weights go
 * through decimal.js (which reads a number by its shortest decimal form), so sums like
 * 0.1 + 0.2 and a mean of exactly 4.0 or 2.5 compare exactly against thresholds.
 */
export function scoreCounts(
  rule: RollupRule, rags: Record<Rag, number>, actions: Partial<Record<ActionStatus, number>>,
): RollupScore {
  let sum = new D(0);
  let measures = 0;
  let counted = 0;
  let left = 0;
  for (const rag of RAGS) {
    const n = rags[rag] ?? 0;
    if (n === 0) continue;
    sum = sum.plus(new D(rule.ragWeights[rag]).times(n));
    measures += n;
  }
  for (const status of ACTION_STATUSES) {
    const n = actions[status] ?? 0;
    if (n === 0) continue;
    const w = Object.hasOwn(rule.actionWeights, status) ? rule.actionWeights[status] : undefined;
    if (w === undefined) {
      left += n;
      continue;
    }
    sum = sum.plus(new D(w).times(n));
    counted += n;
  }
  const base = { counted: { measures, actions: counted }, leftOut: { actions: left } };
  const n = measures + counted;
  if (n === 0) return { status: null, score: null, ...base };
  // sum >= threshold * n is the mean compared without a rounded division.
  const status: RollupStatus = sum.gte(new D(rule.green).times(n)) ? 'green'
    : sum.gte(new D(rule.amber).times(n)) ? 'amber' : 'red';
  return { status, score: sum.div(n).toDecimalPlaces(2, D.ROUND_HALF_EVEN).toNumber(), ...base };
}

/** Validates a deployment's rule override (JSON text); throws Error naming what is wrong. */
export function parseRollupRule(json: string): RollupRule {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`rollup rule is not valid JSON: ${(err as Error).message}`);
  }
  const o = record(raw, 'rollup rule');
  onlyKeys(o, ['name', 'ragWeights', 'actionWeights', 'green', 'amber'], 'rollup rule');

  if (typeof o.name !== 'string' || o.name.trim() === '') {
    throw new Error('rollup rule: name must be a non-empty string');
  }
  const rags = record(o.ragWeights, 'rollup rule: ragWeights');
  onlyKeys(rags, RAGS, 'rollup rule: ragWeights');
  const ragWeights = {} as Record<Rag, number>;
  for (const rag of RAGS) {
    if (!Object.hasOwn(rags, rag)) throw new Error(`rollup rule: ragWeights.${rag} is missing`);
    ragWeights[rag] = finite(rags[rag], `ragWeights.${rag}`);
  }
  const acts = record(o.actionWeights, 'rollup rule: actionWeights');
  onlyKeys(acts, ACTION_STATUSES, 'rollup rule: actionWeights');
  const actionWeights: Partial<Record<ActionStatus, number>> = {};
  for (const status of ACTION_STATUSES) {
    if (Object.hasOwn(acts, status)) actionWeights[status] = finite(acts[status], `actionWeights.${status}`);
  }
  const green = finite(o.green, 'green');
  const amber = finite(o.amber, 'amber');
  if (amber > green) throw new Error(`rollup rule: amber threshold ${amber} is above green threshold ${green}`);
  return { name: o.name, ragWeights, actionWeights, green, amber };
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new Error(`${what}: unknown key(s) ${extra.join(', ')}; allowed: ${allowed.join(', ')}`);
  }
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`rollup rule: ${what} must be a number`);
  return v;
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}

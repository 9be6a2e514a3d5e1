// scoreRollup (src/domain/rollup.ts) takes one weight per item and adds them one by one in
// decimal.js: about 1 µs an item, so a council-wide rollup over 200k measures would spend
// ~150 ms scoring alone. The rollup builder has counts already, so this scores from counts:
// the same exact arithmetic (sum of count x weight, compared as sum >= threshold x n, display
// rounding half-even to 2 places). test/api/rollups.test.ts checks it against scoreRollup.
import { D } from '../domain/decimal.js';
import type { RollupRule, RollupScore } from '../domain/rollup.js';
import { ACTION_STATUSES, RAGS, type ActionStatus, type Rag } from '../domain/types.js';

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
  const status = sum.gte(new D(rule.green).times(n)) ? 'green' : sum.gte(new D(rule.amber).times(n)) ? 'amber' : 'red';
  return { status, score: sum.div(n).toDecimalPlaces(2, D.ROUND_HALF_EVEN).toNumber(), ...base };
}

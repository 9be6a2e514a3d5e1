// Direction of travel between a reading and the reading of its basis period (DOMAIN.md, "Trend").
import { cmp, sub, toDecimal, ZERO, type Dec } from './decimal.js';
import type { Polarity, Trend } from './types.js';

export interface TrendInput {
  polarity: Polarity;
  value: string | null;
  basisValue: string | null;
  /** The band target in force for the later reading, if it has one. */
  band?: { min: string; max: string } | null;
}

/**
 * With a band, both values are judged by their distance to the later reading's band (0 inside),
 * so a value moving towards the band improves even on a higher/lower measure.
 * A range measure whose later reading has no band has no direction: null.
 */
export function trend(input: TrendInput): Trend | null {
  if (input.value === null || input.basisValue === null) return null;
  const now = toDecimal(input.value, 'value');
  const before = toDecimal(input.basisValue, 'basis value');
  const band = input.band ?? null;

  if (band !== null) {
    const min = toDecimal(band.min, 'band min');
    const max = toDecimal(band.max, 'band max');
    if (cmp(min, max) > 0) throw new RangeError(`band min ${band.min} exceeds max ${band.max}`);
    // Nearer is better, so compare as "lower is better" on the distances.
    return direction(cmp(distanceToBand(before, min, max), distanceToBand(now, min, max)));
  }
  if (input.polarity === 'range') return null;
  return direction(input.polarity === 'higher' ? cmp(now, before) : cmp(before, now));
}

function distanceToBand(x: Dec, min: Dec, max: Dec): Dec {
  if (cmp(x, min) < 0) return sub(min, x);
  if (cmp(x, max) > 0) return sub(x, max);
  return ZERO;
}

// Positive means the later value is better.
function direction(better: number): Trend {
  if (better > 0) return 'improving';
  if (better < 0) return 'declining';
  return 'no_change';
}

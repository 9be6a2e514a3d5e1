// RAG rating of one reading against its target, by the report's key (DOMAIN.md, "RAG status").
import { abs, cmp, divToString, isZero, neg, sign, sub, times, toDecimal, toPlainString, type Dec } from './decimal.js';
import type { NotRatedReason, Polarity, Rag, ReadingStatus, TargetSpec } from './types.js';

export type NumericTarget = { kind: 'value'; value: string } | { kind: 'band'; min: string; max: string };
export interface EffectiveTarget { target: NumericTarget | null; reason: NotRatedReason | null }

export interface RateInput {
  polarity: Polarity;
  managementInfoOnly: boolean;
  value: string | null;
  status: ReadingStatus | null;
  target: TargetSpec | null;
  /** The same period's actual a year before; only a year-on-year-reduction target uses it. */
  lastYearValue?: string | null;
}
export interface Rating { rag: Rag | null; variance: string | null; reason: NotRatedReason | null }

const ONE: Dec = { m: 1n, s: 0 };

/**
 * The key's bands for the variance num / den (den > 0), compared without dividing: the
 * variance is >= 5% exactly when 20 * num >= den. Edges belong to the better band (exactly
 * -5% is A, exactly +5% is HG).
 */
function ratingOfRatio(num: Dec, den: Dec): Rag {
  if (cmp(times(num, 20), den) >= 0) return 'HG';
  if (sign(num) >= 0) return 'LG';
  if (cmp(times(num, 20), neg(den)) >= 0) return 'A';
  if (cmp(times(num, 10), neg(den)) >= 0) return 'LR';
  return 'HR';
}

/** The band of a variance given as a decimal string. */
export function ratingOf(variance: string): Rag {
  return ratingOfRatio(toDecimal(variance, 'variance'), ONE);
}

/** Resolves a target rule to the number it stands for, or to the reason there is none. */
export function effectiveTarget(target: TargetSpec | null, lastYearValue: string | null): EffectiveTarget {
  if (target === null) return { target: null, reason: 'no_target' };
  if (target.kind !== 'rule') return { target, reason: null };
  switch (target.rule) {
    case 'year_on_year_reduction':
      return lastYearValue === null
        ? { target: null, reason: 'no_comparator_last_year' }
        : { target: { kind: 'value', value: lastYearValue }, reason: null };
    case 'baseline': return { target: null, reason: 'baseline' };
    case 'to_be_agreed': return { target: null, reason: 'target_to_be_agreed' };
  }
}

/**
 * Rates a reading. Not-rated reasons are checked in order: a status instead of a value,
 * MI only, then the target. Throws RangeError for a reading with neither value nor status,
 * a malformed decimal, or a band whose min exceeds its max.
 */
export function rate(input: RateInput): Rating {
  if (input.status !== null) return notRated('status_reported');
  if (input.value === null) throw new RangeError('a reading needs a value or a status');
  const actual = toDecimal(input.value, 'value');
  if (input.managementInfoOnly) return notRated('management_info_only');

  const { target, reason } = effectiveTarget(input.target, input.lastYearValue ?? null);
  if (target === null) return notRated(reason ?? 'no_target');

  if (target.kind === 'band') {
    return rateBand(actual, toDecimal(target.min, 'target min'), toDecimal(target.max, 'target max'));
  }
  const t = toDecimal(target.value, 'target');
  // A single number on a range measure is the degenerate band t..t: only t itself is on target.
  if (input.polarity === 'range') return rateBand(actual, t, t);
  // "Year-on-year reduction" says which way is good whatever the measure's polarity.
  const yoyr = input.target?.kind === 'rule' && input.target.rule === 'year_on_year_reduction';
  return rateValue(yoyr ? 'lower' : input.polarity, actual, t);
}

function rateValue(polarity: 'higher' | 'lower', actual: Dec, t: Dec): Rating {
  if (isZero(t)) {
    // No variance can be taken from a zero target; the report's own cases fix these outcomes.
    if (polarity === 'lower') return rated(sign(actual) <= 0 ? 'LG' : 'HR', null);
    if (isZero(actual)) return notRated('nothing_due');
    return rated(sign(actual) > 0 ? 'HG' : 'HR', null);
  }
  const gain = polarity === 'higher' ? sub(actual, t) : sub(t, actual);
  return fromVariance(gain, abs(t));
}

function rateBand(actual: Dec, min: Dec, max: Dec): Rating {
  if (cmp(min, max) > 0) throw new RangeError(`band min ${toPlainString(min)} exceeds max ${toPlainString(max)}`);
  if (cmp(actual, min) >= 0 && cmp(actual, max) <= 0) return rated('LG', '0');
  const bound = cmp(actual, min) < 0 ? min : max;
  const distance = abs(sub(actual, bound));
  const width = sub(max, min);
  if (!isZero(width)) return fromVariance(neg(distance), width);
  if (isZero(bound)) return rated('HR', null);
  return fromVariance(neg(distance), abs(bound));
}

// The rating comes from the exact variance; only the returned string is rounded.
function fromVariance(num: Dec, den: Dec): Rating {
  return rated(ratingOfRatio(num, den), divToString(num, den));
}

function rated(rag: Rag, variance: string | null): Rating {
  return { rag, variance, reason: null };
}

function notRated(reason: NotRatedReason): Rating {
  return { rag: null, variance: null, reason };
}

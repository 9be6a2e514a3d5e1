// RAG rating of one reading against its target, by the report's key (DOMAIN.md, "RAG status").
import type { Decimal } from 'decimal.js';
import { D, formatDecimal, toDecimal } from './decimal.js';
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

const HIGH_GREEN_FROM = new D('0.05');
const AMBER_FROM = new D('-0.05');
const LOW_RED_FROM = new D('-0.10');

/** The key's bands; edges belong to the better band (exactly -5% is A, exactly +5% is HG). */
export function ratingOf(d: Decimal): Rag {
  if (d.gte(HIGH_GREEN_FROM)) return 'HG';
  if (d.gte(0)) return 'LG';
  if (d.gte(AMBER_FROM)) return 'A';
  if (d.gte(LOW_RED_FROM)) return 'LR';
  return 'HR';
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

function rateValue(polarity: 'higher' | 'lower', actual: Decimal, t: Decimal): Rating {
  if (t.isZero()) {
    // No variance can be taken from a zero target; the report's own cases fix these outcomes.
    if (polarity === 'lower') return rated(actual.lte(0) ? 'LG' : 'HR', null);
    if (actual.isZero()) return notRated('nothing_due');
    return rated(actual.gt(0) ? 'HG' : 'HR', null);
  }
  const gain = polarity === 'higher' ? actual.minus(t) : t.minus(actual);
  return fromVariance(gain.div(t.abs()));
}

function rateBand(actual: Decimal, min: Decimal, max: Decimal): Rating {
  if (min.gt(max)) throw new RangeError(`band min ${min.toString()} exceeds max ${max.toString()}`);
  if (actual.gte(min) && actual.lte(max)) return rated('LG', '0');
  const bound = actual.lt(min) ? min : max;
  const distance = actual.minus(bound).abs();
  const width = max.minus(min);
  if (!width.isZero()) return fromVariance(distance.neg().div(width));
  if (bound.isZero()) return rated('HR', null);
  return fromVariance(distance.neg().div(bound.abs()));
}

// The rating comes from the full-precision variance; only the returned string is rounded.
function fromVariance(d: Decimal): Rating {
  return rated(ratingOf(d), formatDecimal(d));
}

function rated(rag: Rag, variance: string | null): Rating {
  return { rag, variance, reason: null };
}

function notRated(reason: NotRatedReason): Rating {
  return { rag: null, variance: null, reason };
}

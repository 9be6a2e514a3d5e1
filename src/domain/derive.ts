// Everything stored beside a reading that the rules derive from other data: the rating,
// variance and trend. One pure function, so the write path and a from-scratch recompute
// (used by tests) cannot disagree.
import { basisPeriod, periodFromKey, periodKey } from './periods.js';
import { rate } from './rag.js';
import { trend } from './trend.js';
import type { Frequency, NotRatedReason, Polarity, Rag, ReadingStatus, TargetSpec, Trend, TrendBasis } from './types.js';

export interface MeasureRules {
  polarity: Polarity;
  managementInfoOnly: boolean;
  frequency: Frequency;
  reportingQuarter: number | null;
  trendBasis: TrendBasis;
}

export interface ReadingCore {
  value: string | null;
  status: ReadingStatus | null;
  overrideRag: Rag | null;
}

/** What the rules may look up about the same measure's other periods. */
export interface MeasureHistory {
  target(periodKey: number): TargetSpec | null;
  /** The value stored for a period, or null when there is no reading or it has no value. */
  value(periodKey: number): string | null;
}

export interface Derived {
  computedRag: Rag | null;
  rag: Rag | null;
  ragReason: NotRatedReason | null;
  variance: string | null;
  trend: Trend | null;
  trendPeriodKey: number | null;
  trendValue: string | null;
}

/** Periods whose readings can change when this period's value changes: the ones comparing with it. */
export const DEPENDENT_SPAN = 10; // one year in period-key units (year * 10 + quarter)

// The basis period by key, trend basis and frequency: a batch asks the same few thousand times.
const basisKeys = new Map<number, number>();
const FREQ_INDEX: Record<Frequency, number> = { quarterly: 0, biannual: 1, annual: 2 };
function basisKeyOf(key: number, basis: TrendBasis, frequency: Frequency): number {
  const memo = key * 8 + (basis === 'same_period_last_year' ? 4 : 0) + FREQ_INDEX[frequency];
  let k = basisKeys.get(memo);
  if (k === undefined) {
    k = periodKey(basisPeriod(periodFromKey(key), basis, frequency));
    if (basisKeys.size < 100_000) basisKeys.set(memo, k);
  }
  return k;
}

export function deriveReading(rules: MeasureRules, key: number, reading: ReadingCore, history: MeasureHistory): Derived {
  const target = history.target(key);
  const rating = rate({
    polarity: rules.polarity,
    managementInfoOnly: rules.managementInfoOnly,
    value: reading.value,
    status: reading.status,
    target,
    lastYearValue: history.value(key - DEPENDENT_SPAN),
  });
  const basisKey = basisKeyOf(key, rules.trendBasis, rules.frequency);
  const basisValue = history.value(basisKey);
  const t = trend({
    polarity: rules.polarity,
    value: reading.value,
    basisValue,
    band: target?.kind === 'band' ? { min: target.min, max: target.max } : null,
  });
  const compared = reading.value !== null && basisValue !== null;
  return {
    computedRag: rating.rag,
    rag: reading.overrideRag ?? rating.rag,
    ragReason: rating.rag === null ? rating.reason : null,
    variance: rating.variance,
    trend: t,
    trendPeriodKey: compared ? basisKey : null,
    trendValue: compared ? basisValue : null,
  };
}

// Financial-year periods: `2019-20` is April 2019 to March 2020, `2019-20-Q1` is April-June 2019.
import type { Frequency, TrendBasis } from './types.js';

export type Quarter = 1 | 2 | 3 | 4;
export type Period =
  | { kind: 'year'; year: number }
  | { kind: 'quarter'; year: number; quarter: Quarter };

// Shape only (usable as a JSON-schema `pattern`); parsePeriod also checks the year pairing.
export const PERIOD_PATTERN = '^\\d{4}-\\d{2}(-Q[1-4])?$';
const PERIOD_RE = new RegExp(PERIOD_PATTERN);

// The key's last digit: 1..4 for quarters, 9 for the whole year so it sorts after its quarters.
const YEAR_DIGIT = 9;

export function parsePeriod(s: string): Period | null {
  if (typeof s !== 'string' || !PERIOD_RE.test(s)) return null;
  const year = Number(s.slice(0, 4));
  const second = Number(s.slice(5, 7));
  // `1999-00` is valid: the second half is the next year's last two digits.
  if (second !== (year + 1) % 100) return null;
  if (s.length === 7) return { kind: 'year', year };
  return { kind: 'quarter', year, quarter: Number(s.slice(9)) as Quarter };
}

export function formatPeriod(p: Period): string {
  const y = `${String(p.year).padStart(4, '0')}-${String((p.year + 1) % 100).padStart(2, '0')}`;
  return p.kind === 'year' ? y : `${y}-Q${p.quarter}`;
}

export function previousPeriod(p: Period): Period {
  if (p.kind === 'year') return { kind: 'year', year: p.year - 1 };
  return shiftQuarters(p, -1);
}

export function samePeriodLastYear(p: Period): Period {
  return { ...p, year: p.year - 1 };
}

/**
 * The period a reading's trend compares against.
 * An annual measure reports in one quarter only, so its "previous period" is that quarter a
 * year earlier; a biannual one reports every other quarter, so it is two quarters back.
 */
export function basisPeriod(p: Period, basis: TrendBasis, frequency: Frequency): Period {
  if (basis === 'same_period_last_year') return samePeriodLastYear(p);
  if (p.kind === 'year') return previousPeriod(p);
  if (frequency === 'annual') return samePeriodLastYear(p);
  if (frequency === 'biannual') return shiftQuarters(p, -2);
  return shiftQuarters(p, -1);
}

export function periodKey(p: Period): number {
  return p.year * 10 + (p.kind === 'year' ? YEAR_DIGIT : p.quarter);
}

export function periodFromKey(k: number): Period {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`not a period key: ${k}`);
  const year = Math.floor(k / 10);
  const digit = k % 10;
  if (digit === YEAR_DIGIT) return { kind: 'year', year };
  if (digit >= 1 && digit <= 4) return { kind: 'quarter', year, quarter: digit as Quarter };
  throw new RangeError(`not a period key: ${k}`);
}

/** Whether a reading is expected for this period (otherwise the report shows "Reports Q4 only"). */
export function isDue(p: Period, frequency: Frequency, reportingQuarter: number | null): boolean {
  if (p.kind === 'year') return true;
  switch (frequency) {
    case 'quarterly': return true;
    case 'biannual': return p.quarter === 2 || p.quarter === 4;
    case 'annual': return p.quarter === (reportingQuarter ?? 4);
  }
}

export function quartersOf(year: number): Period[] {
  return ([1, 2, 3, 4] as const).map((quarter) => ({ kind: 'quarter', year, quarter }));
}

function shiftQuarters(p: { year: number; quarter: Quarter }, by: number): Period {
  const index = p.year * 4 + (p.quarter - 1) + by;
  return { kind: 'quarter', year: Math.floor(index / 4), quarter: ((index % 4 + 4) % 4 + 1) as Quarter };
}

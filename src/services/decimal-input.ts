import { Decimal } from 'decimal.js';

const MAX_SIGNIFICANT = 15;
const PLAIN = /^-?\d+(\.\d+)?$/;
/** KPIs need nothing finer; it also keeps every value well inside the rules' exact range. */
const MAX_DECIMAL_PLACES = 20;

/**
 * A JSON number as the decimal its sender wrote. Up to 15 significant digits a double keeps
 * the written decimal exactly, and JavaScript's shortest round-trip formatting gives it back
 * ("0.285", not 0.28499999999999998). More digits than that were already lost in parsing, so
 * they are refused rather than stored as something the sender did not send.
 */
export function decimalFromJson(n: number): string | { error: string } {
  if (!Number.isFinite(n)) return { error: 'must be a finite number' };
  const s = String(n);
  // The common case without decimal.js: a plain literal of at most 15 digits in all (so at most
  // 15 significant and 14 decimal places) is already in the form toFixed() would give.
  if (s.length <= 16 && PLAIN.test(s) && s.replace(/[-.]/g, '').length <= MAX_SIGNIFICANT) return s;
  const d = new Decimal(s);
  if (d.sd() > MAX_SIGNIFICANT) return { error: `has more than ${MAX_SIGNIFICANT} significant digits` };
  if (d.decimalPlaces() > MAX_DECIMAL_PLACES) return { error: `has more than ${MAX_DECIMAL_PLACES} decimal places` };
  return d.toFixed();
}

export function sameDecimal(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || new Decimal(a).eq(b);
}

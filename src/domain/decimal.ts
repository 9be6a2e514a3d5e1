// Exact decimal arithmetic for the rules. Values arrive as strings (pg returns numeric that way)
// and must never pass through binary floating point: 114 against 120 must be exactly -5%.
import { Decimal } from 'decimal.js';

/**
 * Inputs are limited to MAX_SPAN digit positions (integer digits plus decimal places).
 * Then a variance (a - t) / t differs from a rating threshold c by at least 10^-(2*MAX_SPAN+2)
 * relative to its size unless it equals c, so dividing at PRECISION significant digits can
 * never move it across a threshold, and rounding it to 12 places for display is correct.
 */
export const MAX_SPAN = 100;
export const D = Decimal.clone({
  precision: 2 * MAX_SPAN + 50,
  rounding: Decimal.ROUND_HALF_EVEN,
  // Plain notation in toString() for any value we accept.
  toExpNeg: -(MAX_SPAN + 20),
  toExpPos: MAX_SPAN + 20,
});

// Plain decimal literals only: decimal.js would also take '0x1f', 'Infinity' and 'NaN'.
const LITERAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function toDecimal(s: string, what: string): Decimal {
  if (typeof s !== 'string' || !LITERAL.test(s)) {
    throw new RangeError(`${what} is not a decimal number: ${JSON.stringify(s)}`);
  }
  const d = new D(s);
  if (!d.isZero() && Math.max(d.e + 1, 0) + d.decimalPlaces() > MAX_SPAN) {
    throw new RangeError(`${what} has more than ${MAX_SPAN} digits: ${s}`);
  }
  return d;
}

/** Display form: at most 12 decimal places, banker's rounding, no exponent, no trailing zeros. */
export function formatDecimal(d: Decimal): string {
  const r = d.toDecimalPlaces(12, Decimal.ROUND_HALF_EVEN);
  return r.isZero() ? '0' : r.toFixed();
}

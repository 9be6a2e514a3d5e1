// Exact decimal arithmetic for the rules. Values arrive as strings (pg returns numeric that way)
// and must never pass through binary floating point: 114 against 120 must be exactly -5%.
//
// The rules only subtract, compare and divide once (for the displayed variance), so a decimal
// is held as a scaled BigInt (m / 10^s): every comparison is an exact integer comparison, and
// the one division is rounded half-even at 12 places from its exact remainder. This is the
// write path's hot loop: BigInt on short inputs is ~20x cheaper than an arbitrary-precision
// decimal library dividing at the precision that exactness would need.
import { Decimal } from 'decimal.js';

/** Inputs are limited to MAX_SPAN digit positions (integer digits plus decimal places). */
export const MAX_SPAN = 100;

/** decimal.js, for the few places that need general decimal arithmetic (rollup scores). */
export const D = Decimal.clone({ precision: 2 * MAX_SPAN + 50, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -(MAX_SPAN + 20), toExpPos: MAX_SPAN + 20 });

/** value = m / 10^s, s >= 0, trailing zeros of the fraction removed (so s is the decimal places). */
export interface Dec { readonly m: bigint; readonly s: number }

// Plain decimal literals only: no '0x1f', 'Infinity' or 'NaN'.
const LITERAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const POW10: bigint[] = [1n];
const pow10 = (n: number): bigint => {
  while (POW10.length <= n) POW10.push(POW10[POW10.length - 1] * 10n);
  return POW10[n];
};

export const ZERO: Dec = { m: 0n, s: 0 };

// What PostgreSQL's numeric::text and the API's inputs look like: no exponent, few digits.
const SIMPLE = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal literal exactly; RangeError for anything else or more than MAX_SPAN digit positions.
 * Not cached: a parse is a regex and a BigInt (well under a microsecond), while a cache of
 * up to 50,000 parsed values kept each batch's values alive into the old generation, and its
 * map work was 5% of a batch's Node CPU in the write profile (bench/micro/ingest.ts with
 * distinct values: 13.3-13.7 ms of Node CPU per 1,000 readings with the cache, 11.9-13.7 without).
 */
export function toDecimal(str: string, what: string): Dec {
  const simple = typeof str === 'string' && str.length <= 40 ? SIMPLE.exec(str) : null;
  if (simple) {
    const frac = simple[3] ?? '';
    let end = frac.length;
    while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
    const m = BigInt(simple[2] + frac.slice(0, end));
    if (m === 0n) return ZERO;
    return { m: simple[1] ? -m : m, s: end };
  }
  const match = typeof str === 'string' ? LITERAL.exec(str) : null;
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`${what} is not a decimal number: ${JSON.stringify(str)}`);
  }
  const [, sign, int, frac = '', exp = '0'] = match;
  const all = int + frac;
  const lead = all.length - all.replace(/^0+/, '').length;
  if (lead === all.length) return ZERO;
  const sig = all.slice(lead).replace(/0+$/, '');
  // The value is sig * 10^p. Checked before building any BigInt, so '1e999999' is refused
  // without making a million-digit number.
  const p = Number(exp) - frac.length + (all.length - lead - sig.length);
  if (!Number.isFinite(p) || Math.max(sig.length + p, 0) + Math.max(-p, 0) > MAX_SPAN) {
    throw new RangeError(`${what} has more than ${MAX_SPAN} digits: ${str}`);
  }
  const m = BigInt(p > 0 ? sig + '0'.repeat(p) : sig);
  return { m: sign === '-' ? -m : m, s: p < 0 ? -p : 0 };
}

const align = (a: Dec, b: Dec): [bigint, bigint] =>
  a.s === b.s ? [a.m, b.m] : a.s > b.s ? [a.m, b.m * pow10(a.s - b.s)] : [a.m * pow10(b.s - a.s), b.m];

const norm = (m: bigint, s: number): Dec => {
  if (m === 0n) return ZERO;
  while (s > 0 && m % 10n === 0n) { m /= 10n; s--; }
  return { m, s };
};

export function cmp(a: Dec, b: Dec): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}
export const sub = (a: Dec, b: Dec): Dec => { const [x, y] = align(a, b); return norm(x - y, Math.max(a.s, b.s)); };
export const abs = (a: Dec): Dec => (a.m < 0n ? { m: -a.m, s: a.s } : a);
export const neg = (a: Dec): Dec => (a.m === 0n ? a : { m: -a.m, s: a.s });
export const isZero = (a: Dec) => a.m === 0n;
export const sign = (a: Dec) => (a.m < 0n ? -1 : a.m > 0n ? 1 : 0);
/** a * k for a small integer k. */
export const times = (a: Dec, k: number): Dec => norm(a.m * BigInt(k), a.s);

export function toPlainString(a: Dec): string {
  if (a.m === 0n) return '0';
  const digits = (a.m < 0n ? -a.m : a.m).toString().padStart(a.s + 1, '0');
  const int = digits.slice(0, digits.length - a.s);
  const frac = a.s ? `.${digits.slice(digits.length - a.s)}` : '';
  return `${a.m < 0n ? '-' : ''}${int}${frac}`;
}

/**
 * num / den rounded half-even to `places` decimal places, in display form: no exponent, no
 * trailing zeros, '0' for zero. den must not be zero.
 */
export function divToString(num: Dec, den: Dec, places = 12): string {
  if (den.m === 0n) throw new RangeError('division by zero');
  let [a, b] = align(num, den);
  if (b < 0n) { a = -a; b = -b; }
  const negative = a < 0n;
  const x = (negative ? -a : a) * pow10(places);
  let q = x / b;
  const twice = (x % b) * 2n;
  if (twice > b || (twice === b && q % 2n === 1n)) q += 1n;
  return toPlainString(norm(negative ? -q : q, places));
}

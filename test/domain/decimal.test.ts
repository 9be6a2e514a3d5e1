// The rules' exact BigInt arithmetic against decimal.js at 250 significant digits (what the
// rules used before): same parse, same order, same rating and the same 12-place variance on
// random inputs of the shapes the API accepts and beyond.
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import t from 'tap';
import { cmp, divToString, MAX_SPAN, toDecimal, toPlainString } from '../../src/domain/decimal.js';
import { rate } from '../../src/domain/rag.js';
import { trend } from '../../src/domain/trend.js';
import type { Polarity, Rag, TargetSpec } from '../../src/domain/types.js';

const O = Decimal.clone({ precision: 250, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -200, toExpPos: 200 });

// Decimal literals: mostly KPI-like (few digits, a few places), sometimes long or with exponents.
const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const literal = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('', '-'), digits(1, 6), fc.option(digits(1, 4), { nil: undefined })).map(([s, i, f]) => `${s}${i}${f === undefined ? '' : `.${f}`}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('', '-', '+'), digits(0, 20), digits(0, 20)).filter(([, i, f]) => i + f !== '').map(([s, i, f]) => `${s}${i}.${f}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('', '-'), digits(1, 4), fc.integer({ min: -30, max: 30 })).map(([s, i, e]) => `${s}${i}e${e}`) },
);
const small = fc.tuple(fc.integer({ min: -20000, max: 20000 }), fc.integer({ min: 0, max: 3 })).map(([n, p]) => new O(n).div(10 ** p).toFixed());

const bandOf = (d: Decimal): Rag =>
  d.gte('0.05') ? 'HG' : d.gte(0) ? 'LG' : d.gte('-0.05') ? 'A' : d.gte('-0.1') ? 'LR' : 'HR';
const shown = (d: Decimal) => { const r = d.toDecimalPlaces(12, Decimal.ROUND_HALF_EVEN); return r.isZero() ? '0' : r.toFixed(); };

// The previous decimal.js rules for a value target on a higher/lower measure and for a band.
function oracleValue(polarity: 'higher' | 'lower', actual: string, target: string): { rag: Rag | null; variance: string | null } {
  const a = new O(actual); const tg = new O(target);
  if (tg.isZero()) {
    if (polarity === 'lower') return { rag: a.lte(0) ? 'LG' : 'HR', variance: null };
    if (a.isZero()) return { rag: null, variance: null };
    return { rag: a.gt(0) ? 'HG' : 'HR', variance: null };
  }
  const d = (polarity === 'higher' ? a.minus(tg) : tg.minus(a)).div(tg.abs());
  return { rag: bandOf(d), variance: shown(d) };
}
function oracleBand(actual: string, lo: string, hi: string): { rag: Rag; variance: string | null } {
  const a = new O(actual); const min = new O(lo); const max = new O(hi);
  if (a.gte(min) && a.lte(max)) return { rag: 'LG', variance: '0' };
  const bound = a.lt(min) ? min : max;
  const dist = a.minus(bound).abs();
  const width = max.minus(min);
  const d = !width.isZero() ? dist.neg().div(width) : bound.isZero() ? null : dist.neg().div(bound.abs());
  return d === null ? { rag: 'HR', variance: null } : { rag: bandOf(d), variance: shown(d) };
}

t.test('parse: the same number decimal.js reads, and the same digit limit', async (t) => {
  fc.assert(fc.property(literal, (s) => {
    const d = new O(s);
    const tooLong = !d.isZero() && Math.max(d.e + 1, 0) + d.decimalPlaces() > MAX_SPAN;
    if (tooLong) { t.throws(() => toDecimal(s, 'x'), RangeError); return; }
    if (toPlainString(toDecimal(s, 'x')) !== (d.isZero() ? '0' : d.toFixed())) throw new Error(`${s}: ${toPlainString(toDecimal(s, 'x'))} vs ${d.toFixed()}`);
  }), { numRuns: 3000 });
  t.equal(toPlainString(toDecimal('0.2850', 'x')), '0.285');
  t.equal(toPlainString(toDecimal('-12e3', 'x')), '-12000');
  t.equal(toPlainString(toDecimal('.5', 'x')), '0.5');
  t.throws(() => toDecimal('1e999999999', 'x'), RangeError);
  t.equal(toPlainString(toDecimal('0e999999999', 'x')), '0');
  for (const bad of ['', '.', 'e5', '1..2', 'NaN', 'Infinity', '0x1f', ' 1', '1,000']) t.throws(() => toDecimal(bad, 'x'), RangeError, bad);
});

t.test('compare and divide: exact, half-even at 12 places', async (t) => {
  fc.assert(fc.property(literal, literal, (a, b) => {
    const x = new O(a); const y = new O(b);
    if (Math.max(x.e + 1, 0) + x.decimalPlaces() > MAX_SPAN || Math.max(y.e + 1, 0) + y.decimalPlaces() > MAX_SPAN) return;
    if (cmp(toDecimal(a, 'a'), toDecimal(b, 'b')) !== x.cmp(y)) throw new Error(`cmp ${a} ${b}`);
    if (!y.isZero() && divToString(toDecimal(a, 'a'), toDecimal(b, 'b')) !== shown(x.div(y))) throw new Error(`div ${a} ${b}: ${divToString(toDecimal(a, 'a'), toDecimal(b, 'b'))} vs ${shown(x.div(y))}`);
  }), { numRuns: 3000 });
  t.equal(divToString(toDecimal('1', ''), toDecimal('3', '')), '0.333333333333');
  t.equal(divToString(toDecimal('5', ''), toDecimal('1e13', '')), '0', 'a tie rounds to even (0)');
  t.equal(divToString(toDecimal('15', ''), toDecimal('1e13', '')), '0.000000000002', 'a tie rounds to even (2)');
  t.equal(divToString(toDecimal('-6', ''), toDecimal('120', '')), '-0.05');
});

t.test('rate and trend agree with the decimal.js rules on random readings', async (t) => {
  const polarity = fc.constantFrom<Polarity>('higher', 'lower');
  fc.assert(fc.property(fc.constantFrom<'higher' | 'lower'>('higher', 'lower'), small, small, (p, actual, target) => {
    const got = rate({ polarity: p, managementInfoOnly: false, value: actual, status: null, target: { kind: 'value', value: target } });
    const want = oracleValue(p, actual, target);
    if (got.rag !== want.rag || got.variance !== want.variance) throw new Error(`${p} ${actual} vs ${target}: ${JSON.stringify(got)} / ${JSON.stringify(want)}`);
  }), { numRuns: 5000 });
  fc.assert(fc.property(small, small, small, (actual, a, b) => {
    const [lo, hi] = new O(a).lte(b) ? [a, b] : [b, a];
    const spec: TargetSpec = { kind: 'band', min: lo, max: hi };
    const got = rate({ polarity: 'range', managementInfoOnly: false, value: actual, status: null, target: spec });
    const want = oracleBand(actual, lo, hi);
    if (got.rag !== want.rag || got.variance !== want.variance) throw new Error(`${actual} in ${lo}..${hi}: ${JSON.stringify(got)} / ${JSON.stringify(want)}`);
  }), { numRuns: 5000 });
  fc.assert(fc.property(polarity, small, small, (p, now, before) => {
    const want = p === 'higher' ? new O(now).cmp(before) : new O(before).cmp(now);
    const got = trend({ polarity: p, value: now, basisValue: before });
    if (got !== (want > 0 ? 'improving' : want < 0 ? 'declining' : 'no_change')) throw new Error(`${p} ${before} -> ${now}: ${got}`);
  }), { numRuns: 3000 });
  t.pass('5,000 value ratings, 5,000 band ratings and 3,000 trends agree');
});

t.test('decimalFromJson: the plain fast path gives what decimal.js gives', async (t) => {
  const { decimalFromJson } = await import('../../src/services/decimal-input.js');
  const slow = (n: number) => {
    const d = new Decimal(String(n));
    if (d.sd() > 15) return 'sd';
    if (d.decimalPlaces() > 20) return 'dp';
    return d.toFixed();
  };
  const shape = (r: string | { error: string }) => (typeof r === 'string' ? r : r.error.includes('significant') ? 'sd' : 'dp');
  const num = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map((i) => i / 100), fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000));
  fc.assert(fc.property(num, (n) => {
    if (shape(decimalFromJson(n)) !== slow(n)) throw new Error(`${n}: ${JSON.stringify(decimalFromJson(n))} vs ${slow(n)}`);
  }), { numRuns: 20000 });
  t.same([decimalFromJson(0.285), decimalFromJson(-0), decimalFromJson(1e21), decimalFromJson(123456789012345.6)],
    ['0.285', '0', '1000000000000000000000', { error: 'has more than 15 significant digits' }]);
});

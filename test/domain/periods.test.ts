import t from 'tap';
import {
  PERIOD_PATTERN, basisPeriod, formatPeriod, isDue, parsePeriod, periodFromKey, periodKey,
  previousPeriod, quartersOf, samePeriodLastYear, type Period,
} from '../../src/domain/periods.js';
import type { Frequency, TrendBasis } from '../../src/domain/types.js';

const p = (s: string): Period => {
  const r = parsePeriod(s);
  if (r === null) throw new Error(`test fixture is not a period: ${s}`);
  return r;
};

t.test('parsePeriod accepts valid ids and round-trips through formatPeriod', async (t) => {
  const valid: [string, Period][] = [
    ['2019-20', { kind: 'year', year: 2019 }],
    ['2019-20-Q1', { kind: 'quarter', year: 2019, quarter: 1 }],
    ['2019-20-Q2', { kind: 'quarter', year: 2019, quarter: 2 }],
    ['2019-20-Q4', { kind: 'quarter', year: 2019, quarter: 4 }],
    ['1999-00', { kind: 'year', year: 1999 }],
    ['2099-00-Q3', { kind: 'quarter', year: 2099, quarter: 3 }],
    ['2009-10', { kind: 'year', year: 2009 }],
  ];
  for (const [s, expected] of valid) {
    t.same(parsePeriod(s), expected, s);
    t.equal(formatPeriod(expected), s, `format ${s}`);
  }
});

t.test('parsePeriod rejects invalid ids', async (t) => {
  const invalid = [
    '2019-21', '2019-21-Q2', '2019-19', '2019-20-Q5', '2019-20-Q0', '2019-20-q2', '19-20',
    '2019/20', '2019-2020', ' 2019-20', '2019-20 ', '2019-20-Q2\n', '2019-20-', '2019-20-Q',
    '2019-20-Q12', '1999-99', '', 'Q2 2019/20', '２０１９-20',
  ];
  for (const s of invalid) t.equal(parsePeriod(s), null, JSON.stringify(s));
});

t.test('PERIOD_PATTERN is the shape only, for JSON schema', async (t) => {
  const re = new RegExp(PERIOD_PATTERN);
  t.equal(re.test('2019-20-Q2'), true);
  t.equal(re.test('2019-20'), true);
  t.equal(re.test('2019-20-Q5'), false);
  t.equal(re.test('x2019-20'), false);
  // The year pairing is beyond a regex; parsePeriod enforces it.
  t.equal(re.test('2019-21'), true);
  t.equal(parsePeriod('2019-21'), null);
});

t.test('previousPeriod and samePeriodLastYear', async (t) => {
  const cases: [string, string, string][] = [
    // period, previous, same period last year
    ['2019-20-Q2', '2019-20-Q1', '2018-19-Q2'],
    ['2019-20-Q1', '2018-19-Q4', '2018-19-Q1'],
    ['2019-20-Q4', '2019-20-Q3', '2018-19-Q4'],
    ['2000-01-Q1', '1999-00-Q4', '1999-00-Q1'],
    ['2019-20', '2018-19', '2018-19'],
    ['2000-01', '1999-00', '1999-00'],
  ];
  for (const [s, prev, last] of cases) {
    t.equal(formatPeriod(previousPeriod(p(s))), prev, `previous of ${s}`);
    t.equal(formatPeriod(samePeriodLastYear(p(s))), last, `last year of ${s}`);
  }
});

t.test('basisPeriod by basis and frequency', async (t) => {
  const cases: [string, TrendBasis, Frequency, string][] = [
    ['2019-20-Q2', 'previous_period', 'quarterly', '2019-20-Q1'],
    ['2019-20-Q1', 'previous_period', 'quarterly', '2018-19-Q4'],
    // Biannual measures report Q2 and Q4: the previous report is two quarters back.
    ['2019-20-Q4', 'previous_period', 'biannual', '2019-20-Q2'],
    ['2019-20-Q2', 'previous_period', 'biannual', '2018-19-Q4'],
    ['2019-20-Q1', 'previous_period', 'biannual', '2018-19-Q3'],
    // Annual measures report in one quarter, so they compare with that quarter a year before.
    ['2019-20-Q3', 'previous_period', 'annual', '2018-19-Q3'],
    ['2019-20-Q4', 'previous_period', 'annual', '2018-19-Q4'],
    ['2019-20', 'previous_period', 'quarterly', '2018-19'],
    ['2019-20', 'previous_period', 'annual', '2018-19'],
    ['2019-20-Q2', 'same_period_last_year', 'quarterly', '2018-19-Q2'],
    ['2019-20-Q1', 'same_period_last_year', 'biannual', '2018-19-Q1'],
    ['2019-20-Q4', 'same_period_last_year', 'annual', '2018-19-Q4'],
    ['2019-20', 'same_period_last_year', 'quarterly', '2018-19'],
  ];
  for (const [s, basis, freq, expected] of cases) {
    t.equal(formatPeriod(basisPeriod(p(s), basis, freq)), expected, `${s} ${basis} ${freq}`);
  }
});

t.test('periodKey sorts quarters then their year, and round-trips', async (t) => {
  const ordered = ['2018-19', '2019-20-Q1', '2019-20-Q2', '2019-20-Q3', '2019-20-Q4', '2019-20', '2020-21-Q1'];
  const keys = ordered.map((s) => periodKey(p(s)));
  t.same(keys, [20189, 20191, 20192, 20193, 20194, 20199, 20201]);
  t.same([...keys].sort((a, b) => a - b), keys);
  for (const s of ordered) t.equal(formatPeriod(periodFromKey(periodKey(p(s)))), s, s);
  for (const bad of [20190, 20195, 20198, -1, 2019.5]) {
    t.throws(() => periodFromKey(bad), RangeError, `key ${bad}`);
  }
});

t.test('isDue', async (t) => {
  const cases: [string, Frequency, number | null, boolean][] = [
    ['2019-20-Q1', 'quarterly', null, true],
    ['2019-20-Q3', 'quarterly', null, true],
    ['2019-20-Q1', 'biannual', null, false],
    ['2019-20-Q2', 'biannual', null, true],
    ['2019-20-Q3', 'biannual', null, false],
    ['2019-20-Q4', 'biannual', null, true],
    ['2019-20-Q4', 'annual', null, true],
    ['2019-20-Q2', 'annual', null, false],
    ['2019-20-Q3', 'annual', 3, true],
    ['2019-20-Q4', 'annual', 3, false],
    ['2019-20', 'annual', 3, true],
    ['2019-20', 'biannual', null, true],
    ['2019-20', 'quarterly', null, true],
  ];
  for (const [s, freq, rq, expected] of cases) {
    t.equal(isDue(p(s), freq, rq), expected, `${s} ${freq} ${rq}`);
  }
});

t.test('quartersOf', async (t) => {
  t.same(quartersOf(2019).map(formatPeriod), ['2019-20-Q1', '2019-20-Q2', '2019-20-Q3', '2019-20-Q4']);
  t.same(quartersOf(1999).map(formatPeriod), ['1999-00-Q1', '1999-00-Q2', '1999-00-Q3', '1999-00-Q4']);
});

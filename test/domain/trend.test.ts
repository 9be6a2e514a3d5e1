import t from 'tap';
import { trend, type TrendInput } from '../../src/domain/trend.js';
import type { Polarity, Trend } from '../../src/domain/types.js';

t.test('higher and lower is better', async (t) => {
  const cases: [Polarity, string, string, Trend][] = [
    // polarity, value, basis value, trend
    ['higher', '10', '9', 'improving'],
    ['higher', '9', '10', 'declining'],
    ['higher', '10', '10', 'no_change'],
    ['higher', '10.0', '10', 'no_change'],
    ['higher', '0.300000000000000000001', '0.3', 'improving'],
    ['higher', '-1', '-2', 'improving'],
    ['lower', '9', '10', 'improving'],
    ['lower', '10', '9', 'declining'],
    ['lower', '0.5', '0.50', 'no_change'],
    ['lower', '-2', '-1', 'improving'],
  ];
  for (const [polarity, value, basisValue, expected] of cases) {
    t.equal(trend({ polarity, value, basisValue }), expected, `${polarity} ${basisValue} -> ${value}`);
  }
});

t.test('direction of travel from the report', async (t) => {
  const cases: [string, Polarity, string, string, Trend][] = [
    // measure, polarity, this period's actual, basis period's actual, the report's arrow
    ['Council Tax collected (same quarter last year)', 'higher', '0.5576', '0.562', 'declining'],
    ['Visits to Museum (same quarter last year)', 'higher', '27263', '38550', 'declining'],
    ['Domestic abuse offences', 'lower', '2024', '1994', 'declining'],
    ['Households owed full homelessness duty', 'lower', '242', '218', 'declining'],
    ['Repeat Child Protection Plans', 'lower', '0.142', '0.11', 'declining'],
    ['Number of book issues', 'higher', '219200', '187880', 'improving'],
    ['Sickness absence days per FTE', 'lower', '10.15', '10.25', 'improving'],
    ['Number of trained Community Champions', 'higher', '1080', '1080', 'no_change'],
    ['Third party spend with local providers', 'higher', '0.27', '0.27', 'no_change'],
  ];
  for (const [measure, polarity, value, basisValue, expected] of cases) {
    t.equal(trend({ polarity, value, basisValue }), expected, measure);
  }
});

t.test('a missing value on either side gives no trend', async (t) => {
  const cases: TrendInput[] = [
    { polarity: 'higher', value: null, basisValue: '1' },
    { polarity: 'lower', value: '1', basisValue: null },
    { polarity: 'range', value: null, basisValue: null, band: { min: '0.9', max: '1.1' } },
  ];
  for (const c of cases) t.equal(trend(c), null, JSON.stringify(c));
});

t.test('bands: nearer to the later reading\'s band is improving', async (t) => {
  const band = { min: '0.9', max: '1.1' };
  const cases: [Polarity, string, string, Trend][] = [
    // The report: ASC equality of provision fell from 0.97 (inside) to 0.87.
    ['range', '0.87', '0.97', 'declining'],
    ['range', '0.95', '0.87', 'improving'],
    ['range', '1', '0.95', 'no_change'], // both inside
    ['range', '0.8', '1.2', 'no_change'], // 0.1 outside either way
    ['range', '1.15', '0.8', 'improving'],
    ['range', '1.3', '1.2', 'declining'],
    ['range', '1.1', '0.89', 'improving'],
    // A band target on a higher/lower measure decides by distance too.
    ['higher', '1.2', '1.0', 'declining'],
    ['lower', '0.85', '0.5', 'improving'],
  ];
  for (const [polarity, value, basisValue, expected] of cases) {
    t.equal(trend({ polarity, value, basisValue, band }), expected, `${polarity} ${basisValue} -> ${value}`);
  }
  t.throws(() => trend({ polarity: 'range', value: '1', basisValue: '1', band: { min: '2', max: '1' } }), RangeError);
});

t.test('a range measure with no band for the later reading has no trend', async (t) => {
  t.equal(trend({ polarity: 'range', value: '0.87', basisValue: '0.97' }), null);
  t.equal(trend({ polarity: 'range', value: '0.87', basisValue: '0.97', band: null }), null);
});

t.test('malformed values are refused', async (t) => {
  t.throws(() => trend({ polarity: 'higher', value: 'NaN', basisValue: '1' }), RangeError);
  t.throws(() => trend({ polarity: 'higher', value: '1', basisValue: '1,000' }), RangeError);
});

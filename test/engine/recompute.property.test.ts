import fc from 'fast-check';
import t from 'tap';
import { buildTestApp, defineMeasure } from '../helpers/app.js';
import { staleReadings } from '../helpers/recompute.js';

// Random sequences of writes, in random order: readings (values, statuses, targets in the
// same write, overrides), target revisions (numbers, bands, rules), rule changes on the
// measure. After every sequence the stored derived values must equal a from-scratch recompute.
const periods = ['2018-19-Q1', '2018-19-Q2', '2018-19-Q3', '2018-19-Q4', '2019-20-Q1', '2019-20-Q2', '2019-20-Q3', '2019-20-Q4', '2019-20', '2018-19'];
const measure = fc.constantFrom('A', 'B');
const period = fc.constantFrom(...periods);
const value = fc.integer({ min: -5, max: 40 }).map((n) => n / 2);
const target = fc.oneof(
  value,
  fc.tuple(value, value).map(([a, b]) => ({ min: Math.min(a, b), max: Math.max(a, b) })),
);
const op = fc.oneof(
  fc.record({ kind: fc.constant('reading' as const), measure, period, value, target: fc.option(target, { nil: undefined }) }),
  fc.record({ kind: fc.constant('status' as const), measure, period, status: fc.constantFrom('not_due', 'no_survey') }),
  fc.record({ kind: fc.constant('override' as const), measure, period, value, rag: fc.option(fc.constantFrom('HG', 'A', 'HR'), { nil: null }) }),
  fc.record({ kind: fc.constant('target' as const), measure, period, target: fc.oneof(target, fc.constantFrom('year_on_year_reduction', 'baseline', 'to_be_agreed')) }),
  fc.record({ kind: fc.constant('rules' as const), measure, polarity: fc.constantFrom('higher', 'lower', 'range'), trendBasis: fc.constantFrom('previous_period', 'same_period_last_year'), frequency: fc.constantFrom('quarterly', 'biannual', 'annual'), mi: fc.boolean() }),
);

t.test('stored derived values always equal a fresh recompute', async (t) => {
  const ta = await buildTestApp(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      run++;
      const code = (m: string) => `${m}${run}`;
      await defineMeasure(ta, code('A'));
      await defineMeasure(ta, code('B'));
      for (const o of ops) {
        let res;
        if (o.kind === 'reading') {
          res = await ta.as('write', { method: 'PUT', url: `/v1/measures/${code(o.measure)}/readings/${o.period}`, payload: { value: o.value, ...(o.target !== undefined ? { target: o.target } : {}) } });
        } else if (o.kind === 'status') {
          res = await ta.as('write', { method: 'PUT', url: `/v1/measures/${code(o.measure)}/readings/${o.period}`, payload: { status: o.status } });
        } else if (o.kind === 'override') {
          res = await ta.as('write', { method: 'PUT', url: `/v1/measures/${code(o.measure)}/readings/${o.period}`, payload: { value: o.value, ragOverride: o.rag ? { rag: o.rag, reason: 'checked by hand' } : null } });
        } else if (o.kind === 'target') {
          const payload = typeof o.target === 'string' ? { rule: o.target } : typeof o.target === 'number' ? { value: o.target } : o.target;
          res = await ta.as('admin', { method: 'PUT', url: `/v1/measures/${code(o.measure)}/targets/${o.period}`, payload });
        } else {
          res = await ta.as('admin', { method: 'PATCH', url: `/v1/measures/${code(o.measure)}`, payload: { polarity: o.polarity, trendBasis: o.trendBasis, frequency: o.frequency, managementInfoOnly: o.mi } });
        }
        if (res.statusCode >= 300) throw new Error(`${JSON.stringify(o)} -> ${res.statusCode} ${res.body}`);
      }
      const stale = await staleReadings(ta.db);
      if (stale.length) throw new Error(`stale after ${JSON.stringify(ops)}: ${JSON.stringify(stale.slice(0, 3))}`);
    }),
    { numRuns: 60, seed: Number(process.env.FC_SEED ?? 20191002) },
  );
  t.same(await staleReadings(ta.db), [], 'no stored reading differs from its recompute');
  t.equal(run >= 60, true, `ran ${run} sequences`);
});

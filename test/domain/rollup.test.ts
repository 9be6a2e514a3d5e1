import t from 'tap';
import { DEFAULT_ROLLUP_RULE, parseRollupRule, scoreRollup, type RollupRule, type RollupScore } from '../../src/domain/rollup.js';
import type { ActionStatus, Rag } from '../../src/domain/types.js';

const score = (rags: Rag[], actions: ActionStatus[] = [], rule: RollupRule = DEFAULT_ROLLUP_RULE): RollupScore =>
  scoreRollup(rule, { ragsOfMeasures: rags, actionStatuses: actions });
const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

t.test('default rule', async (t) => {
  t.same(DEFAULT_ROLLUP_RULE, {
    name: 'mean-score-v1',
    ragWeights: { HG: 5, LG: 4, A: 3, LR: 2, HR: 1 },
    actionWeights: { green: 4, amber: 3, red: 1, complete: 5 },
    green: 4,
    amber: 2.5,
  });
  t.equal(Object.isFrozen(DEFAULT_ROLLUP_RULE.ragWeights), true, 'callers cannot change it by accident');
});

t.test('statuses at and around the thresholds', async (t) => {
  const cases: [string, Rag[], ActionStatus[], RollupScore['status'], number][] = [
    // name, measure ratings, action statuses, status, score
    ['mean exactly 4.0 is green', ['HG', 'A'], [], 'green', 4],
    ['mean exactly 4.0 mixing measures and actions', ['A'], ['complete'], 'green', 4],
    ['mean 3.99 is amber', [...times(99, 'LG' as Rag), 'A'], [], 'amber', 3.99],
    ['mean exactly 2.5 is amber', ['LG', 'HR'], [], 'amber', 2.5],
    ['mean exactly 2.5 from actions only', [], ['green', 'red'], 'amber', 2.5],
    ['mean 2.49 is red', [...times(49, 'A' as Rag), ...times(51, 'LR' as Rag)], [], 'red', 2.49],
    ['mean 2 is red', ['LG', 'HR', 'HR'], [], 'red', 2],
    ['all top marks', ['HG', 'HG'], ['complete'], 'green', 5],
    ['all bottom marks', ['HR'], ['red'], 'red', 1],
  ];
  for (const [name, rags, actions, status, s] of cases) {
    const r = score(rags, actions);
    t.equal(r.status, status, `${name}: status`);
    t.equal(r.score, s, `${name}: score`);
  }
});

t.test('the score is rounded for display only', async (t) => {
  // 7999 / 2000 = 3.9995 shows as 4 but is below the green threshold.
  t.same(score([...times(1999, 'LG' as Rag), 'A']),
    { status: 'amber', score: 4, counted: { measures: 2000, actions: 0 }, leftOut: { actions: 0 } });
  // 25 / 8 = 3.125: half-even to 3.12.
  t.equal(score(['HG', 'HG', 'HG', 'A', 'LR', 'LR', 'LR', 'HR']).score, 3.12);
  t.equal(score(['HG', 'LG', 'LG']).score, 4.33);
  t.equal(score(['HG', 'HG', 'LG']).score, 4.67);
});

t.test('closed, not started and no update are left out', async (t) => {
  t.same(score(['A'], ['complete', 'closed', 'not_started', 'no_update', 'closed']),
    { status: 'green', score: 4, counted: { measures: 1, actions: 1 }, leftOut: { actions: 4 } });
  t.same(score([], ['closed', 'no_update']),
    { status: null, score: null, counted: { measures: 0, actions: 0 }, leftOut: { actions: 2 } });
  t.same(score([], []),
    { status: null, score: null, counted: { measures: 0, actions: 0 }, leftOut: { actions: 0 } });
});

t.test('fractional weights compare exactly', async (t) => {
  const rule: RollupRule = {
    name: 'tenths',
    ragWeights: { HG: 0.7, LG: 0.4, A: 0.3, LR: 0.2, HR: 0.1 },
    actionWeights: {},
    green: 0.4,
    amber: 0.2,
  };
  // In binary floating point (0.1 + 0.7 + 0.4) / 3 is 0.39999999999999997 and would be amber.
  t.same(score(['HR', 'HG', 'LG'], ['green'], rule),
    { status: 'green', score: 0.4, counted: { measures: 3, actions: 0 }, leftOut: { actions: 1 } });
  // Likewise (0.2 + 0.3 + 0.1) / 3 would fall below 0.2.
  t.equal(score(['LR', 'A', 'HR'], [], rule).status, 'amber');
});

t.test('the report\'s priorities, Q2 2019/20', async (t) => {
  // A Strong Local Economy for All: the two measures rated this quarter, and its action updates.
  t.same(score(['HG', 'LG'], ['green', 'green', 'not_started', 'no_update', 'no_update', 'green']),
    { status: 'green', score: 4.2, counted: { measures: 2, actions: 3 }, leftOut: { actions: 3 } });
  // Modernising Harrow Council.
  const measures: Rag[] = ['HG', 'LG', 'HR', 'HG', 'A', 'HG', 'HR', 'HR', 'HR', 'LG', 'LG', 'LG', 'LG', 'HR', 'A'];
  const actions: ActionStatus[] = [
    'complete', 'green', 'amber', 'no_update', 'green', 'green', 'green', 'no_update', 'no_update', 'green',
    'no_update', 'green', 'green', 'no_update', 'green', 'green', 'no_update', 'green', 'no_update', 'complete',
  ];
  t.same(score(measures, actions),
    { status: 'amber', score: 3.54, counted: { measures: 15, actions: 13 }, leftOut: { actions: 7 } });
});

t.test('parseRollupRule accepts a complete rule', async (t) => {
  t.same(parseRollupRule(JSON.stringify(DEFAULT_ROLLUP_RULE)), DEFAULT_ROLLUP_RULE);
  const custom = {
    name: 'strict', ragWeights: { HG: 2, LG: 1, A: 0, LR: -1, HR: -2.5 },
    actionWeights: { closed: 1 }, green: 1, amber: 1,
  };
  t.same(parseRollupRule(JSON.stringify(custom)), custom);
  t.same(score(['LG'], ['closed', 'green'], parseRollupRule(JSON.stringify(custom))),
    { status: 'green', score: 1, counted: { measures: 1, actions: 1 }, leftOut: { actions: 1 } });
});

t.test('parseRollupRule explains what is wrong', async (t) => {
  const ok = JSON.parse(JSON.stringify(DEFAULT_ROLLUP_RULE)) as Record<string, unknown>;
  const withChange = (change: Record<string, unknown>): string => JSON.stringify({ ...ok, ...change });
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{name:', /not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['null', 'null', /must be a JSON object/],
    ['unknown key', withChange({ extra: 1 }), /unknown key\(s\) extra/],
    ['empty name', withChange({ name: ' ' }), /name must be a non-empty string/],
    ['missing name', JSON.stringify({ ...ok, name: undefined }), /name must be a non-empty string/],
    ['missing HR weight', withChange({ ragWeights: { HG: 5, LG: 4, A: 3, LR: 2 } }), /ragWeights\.HR is missing/],
    ['unknown rating', withChange({ ragWeights: { HG: 5, LG: 4, A: 3, LR: 2, HR: 1, G: 4 } }), /ragWeights: unknown key\(s\) G/],
    ['weight as text', withChange({ ragWeights: { HG: '5', LG: 4, A: 3, LR: 2, HR: 1 } }), /ragWeights\.HG must be a number/],
    ['unknown action status', withChange({ actionWeights: { GREEN: 4 } }), /actionWeights: unknown key\(s\) GREEN/],
    ['action weight null', withChange({ actionWeights: { red: null } }), /actionWeights\.red must be a number/],
    ['missing actionWeights', JSON.stringify({ ...ok, actionWeights: undefined }), /actionWeights must be a JSON object/],
    ['threshold as text', withChange({ green: 'high' }), /green must be a number/],
    ['amber above green', withChange({ amber: 4.5 }), /amber threshold 4\.5 is above green threshold 4/],
  ];
  for (const [name, json, message] of cases) t.throws(() => parseRollupRule(json), { message }, name);
});

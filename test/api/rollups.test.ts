import { readFileSync } from 'node:fs';
import t from 'tap';
import { DEFAULT_ROLLUP_RULE, scoreCounts } from '../../src/domain/rollup.js';
import { ACTION_STATUSES, RAGS, type ActionStatus, type Rag } from '../../src/domain/types.js';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

const seed = (name: string) => JSON.parse(readFileSync(new URL(`../../seeds/${name}`, import.meta.url), 'utf8'));
const measures: { code: string; priority: string; headline: boolean }[] = seed('measures.json');
const readings: { measure: string; period: string; printedRag?: string | null }[] = seed('readings.json');
const actions: { code: string; priority: string; updates: { period: string; status: ActionStatus }[] }[] = seed('actions.json');
const PRIORITIES = ['BBH', 'SMN', 'PVPS', 'SLE', 'MHC'];
const priorityOf = new Map(measures.map((m) => [m.code, m.priority]));

/** The report's own table: Q2 2019/20 ratings as printed (the two survey overrides are printed A). */
function printedCounts(priority: string) {
  const byRating = Object.fromEntries(RAGS.map((r) => [r, 0])) as Record<Rag, number>;
  for (const r of readings) {
    if (r.period === '2019-20-Q2' && priorityOf.get(r.measure) === priority && r.printedRag) byRating[r.printedRag as Rag]++;
  }
  const byStatus = Object.fromEntries(ACTION_STATUSES.map((s) => [s, 0])) as Record<ActionStatus, number>;
  for (const a of actions) if (a.priority === priority) for (const u of a.updates) if (u.period === '2019-20-Q2') byStatus[u.status]++;
  return { byRating, byStatus, measureTotal: measures.filter((m) => m.priority === priority).length };
}

t.test('the report: four amber priorities and one green, Q2 2019/20', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const res = await app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q2?working=true' });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.period, '2019-20-Q2');
  t.same(body.rule, DEFAULT_ROLLUP_RULE, 'the rule and weights used are in the response');
  t.same(body.priorities.map((p: { code: string }) => p.code), PRIORITIES, 'report order');

  const expected: Record<string, [string, number, number, number]> = {
    // status, score, measures counted, actions counted
    BBH: ['amber', 3.63, 16, 11], SMN: ['amber', 3.85, 17, 3], PVPS: ['amber', 3.3, 13, 14], SLE: ['green', 4.2, 2, 3], MHC: ['amber', 3.54, 15, 13],
  };
  for (const p of body.priorities) {
    const want = printedCounts(p.code);
    const [status, score, cm, ca] = expected[p.code];
    t.equal(p.status, status, `${p.code} status`);
    t.equal(p.score, score, `${p.code} score`);
    t.same(p.counted, { measures: cm, actions: ca }, `${p.code} counted`);
    t.same(p.measures.byRating, want.byRating, `${p.code}: counts by rating equal the report's printed ratings`);
    t.same(p.actions.byStatus, want.byStatus, `${p.code}: actions by status equal actions.json`);
    t.equal(p.measures.total, want.measureTotal, `${p.code}: every measure is accounted for`);
    t.equal(p.measures.rated + p.measures.notRated.total, p.measures.total, `${p.code}: rated + not rated = total`);
    const reasons = Object.values(p.measures.notRated.byReason as Record<string, number>).reduce((a, b) => a + b, 0);
    t.equal(reasons, p.measures.notRated.total, `${p.code}: every unrated measure has a reason`);
    const tr = p.measures.trend;
    t.equal(tr.improving + tr.declining + tr.noChange + tr.none, p.measures.total, `${p.code}: trend covers every measure`);
    // The working agrees with the figures.
    const counted = p.working.measures.filter((m: { counted: boolean }) => m.counted);
    t.equal(counted.length, p.measures.rated, `${p.code}: working lists the counted measures`);
    t.ok(p.working.measures.every((m: { counted: boolean; reason: string | null }) => m.counted === (m.reason === null)), `${p.code}: a reason for each left out`);
    t.equal(p.working.actions.filter((a: { counted: boolean }) => a.counted).length, ca, `${p.code}: working lists the counted actions`);
    t.same(p.headline.map((h: { code: string }) => h.code),
      measures.filter((m) => m.priority === p.code && m.headline).map((m) => m.code), `${p.code}: headline measures in report order`);
  }
  t.same(body.overall.priorities, { total: 5, byStatus: { green: 1, amber: 4, red: 0, unrated: 0 } });

  const sle = body.priorities.find((p: { code: string }) => p.code === 'SLE');
  t.same(sle.leftOut, { measures: 6, actions: 3 });
  t.equal(sle.measures.notRated.byReason.not_due, 6, 'SLE: six annual measures not due in Q2');
  t.same(sle.working.actions.find((a: { code: string }) => a.code === 'SLE-A03'),
    { code: 'SLE-A03', period: '2019-20-Q2', status: 'not_started', counted: false, reason: 'not_weighted' });
  t.same(sle.headline, [{
    code: 'SLE-07', title: 'Number of residents supported into employment, by the Council (job brokerage & employment provision)',
    rag: null, latestRating: { rag: 'HG', period: '2018-19-Q4' },
  }], 'latest rating comes from an earlier period ("HG (Q4 2018/19)")');

  const smn = body.priorities.find((p: { code: string }) => p.code === 'SMN');
  t.equal(smn.measures.notRated.byReason.no_reading, 1, 'SMN-30 has no Q2 reading');
  t.same(smn.completeness.missing, [], 'SMN-30 reports in Q4 only, so nothing is missing');
  t.same(smn.working.measures.find((m: { code: string }) => m.code === 'SMN-30'),
    { code: 'SMN-30', period: null, rag: null, counted: false, reason: 'no_reading', trend: null, due: false });

  const o = body.overall;
  t.same(o.measures.byRating, { HG: 19, LG: 17, A: 11, LR: 3, HR: 13 }, 'council totals by rating');
  t.equal(o.measures.total, 114);
  t.same(o.actions.byStatus, { green: 33, amber: 9, red: 0, complete: 2, closed: 2, not_started: 1, no_update: 15 });
  // "around 50% improving": 25 of the 48 measures that moved (52%), 42% of the 59 with a direction.
  t.same([o.measures.trend.improving, o.measures.trend.declining, o.measures.trend.noChange], [25, 23, 11]);
  t.equal(o.measures.trend.improvingShareOfMoved, 0.5208);
  t.equal(o.measures.trend.improvingShare, 0.4237);
  t.same(o.completeness, { expected: 69, received: 69, missing: 0 });
});

t.test('one priority alone; working=false; errors', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const all = (await app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q2?working=true' })).json();
  const one = await app.inject({ method: 'GET', url: '/v1/priorities/SLE/rollups/2019-20-Q2' });
  t.equal(one.statusCode, 200);
  const { period, rule, ...sle } = one.json();
  t.equal(period, '2019-20-Q2');
  t.same(rule, DEFAULT_ROLLUP_RULE);
  t.same(sle, all.priorities[3], "the same object as in the council-wide rollup");

  const lean = (await app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q2' })).json();
  t.equal(lean.priorities[0].working, undefined, 'council-wide: no working lists unless asked');
  t.same(lean.overall, all.overall, 'same figures');
  t.same(lean.priorities, all.priorities.map(({ working: _w, ...p }: { working: unknown }) => p));
  const leanOne = (await app.inject({ method: 'GET', url: '/v1/priorities/SLE/rollups/2019-20-Q2?working=false' })).json();
  t.equal(leanOne.working, undefined);
  t.equal(leanOne.status, 'green');

  t.equal((await app.inject({ method: 'GET', url: '/v1/priorities/NOPE/rollups/2019-20-Q2' })).statusCode, 404);
  const bad = await app.inject({ method: 'GET', url: '/v1/rollups/2019-21-Q2' });
  t.equal(bad.statusCode, 400);
  t.match(bad.headers['content-type'], /problem\+json/);
  t.equal((await app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q5' })).statusCode, 400);
});

t.test('the rule is configuration', async (t) => {
  const rule = { name: 'lenient', ragWeights: { HG: 5, LG: 4, A: 3, LR: 2, HR: 1 }, actionWeights: { green: 4, amber: 3, red: 1, complete: 5, no_update: 0 }, green: 3.6, amber: 2.5 };
  const { app } = await buildTestApp(t, { seed: true, env: { ROLLUP_RULE: JSON.stringify(rule) } });
  const body = (await app.inject({ method: 'GET', url: '/v1/rollups/2019-20-Q2' })).json();
  t.same(body.rule, rule);
  const sle = body.priorities.find((p: { code: string }) => p.code === 'SLE');
  // SLE's two no_update actions now count with weight 0: (5 + 4 + 4*3 + 0*2) / 7 = 3.
  t.same([sle.status, sle.score, sle.counted], ['amber', 3, { measures: 2, actions: 5 }]);
  t.same(body.priorities.map((p: { status: string }) => p.status), ['amber', 'green', 'amber', 'amber', 'amber']);
});

t.test('writes show up at once; ETag gives 304 until then', async (t) => {
  const { app, as } = await buildTestApp(t, { seed: true });
  const first = await app.inject({ method: 'GET', url: '/v1/priorities/SLE/rollups/2019-20-Q2' });
  const etag = first.headers.etag as string;
  t.ok(etag);
  t.equal((await app.inject({ method: 'GET', url: '/v1/priorities/SLE/rollups/2019-20-Q2', headers: { 'if-none-match': etag } })).statusCode, 304);
  for (const code of ['SLE-A01', 'SLE-A02', 'SLE-A06']) {
    const w = await as('write', { method: 'PUT', url: `/v1/actions/${code}/updates/2019-20-Q2`, payload: { status: 'red', text: 'Slipped' } });
    t.equal(w.statusCode, 200);
  }
  const after = await app.inject({ method: 'GET', url: '/v1/priorities/SLE/rollups/2019-20-Q2', headers: { 'if-none-match': etag } });
  t.equal(after.statusCode, 200);
  // (5 + 4 + 1 + 1 + 1) / 5 = 2.4
  t.same([after.json().status, after.json().score], ['red', 2.4]);
});

t.test('a year: the year reading, else the latest quarter with a value or rating; completeness by frequency', async (t) => {
  const ta = await buildTestApp(t);
  const { as, app } = ta;
  await defineMeasure(ta, 'Q-A');
  await defineMeasure(ta, 'Q-B');
  await defineMeasure(ta, 'ANNUAL', { frequency: 'annual', reportingQuarter: 4, headline: true });
  await defineMeasure(ta, 'NEW', { newInYear: '2020-21' });
  const put = async (code: string, period: string, body: object) => {
    const r = await as('write', { method: 'PUT', url: `/v1/measures/${code}/readings/${period}`, payload: body });
    t.ok(r.statusCode < 300, `${code} ${period}: ${r.body}`);
  };
  await put('Q-A', '2019-20-Q1', { value: 110, target: 100 }); // HG
  await put('Q-A', '2019-20-Q2', { status: 'not_available' });
  await put('Q-B', '2019-20-Q1', { value: 90, target: 100 }); // HR
  await put('Q-B', '2019-20', { value: 100, target: 100 }); // LG: the year's own reading wins
  await put('ANNUAL', '2018-19-Q4', { value: 50, target: 50 }); // LG, last year
  await put('ANNUAL', '2019-20-Q1', { status: 'not_due' });
  await put('ANNUAL', '2019-20-Q2', { status: 'not_due' });

  const year = (await app.inject({ method: 'GET', url: '/v1/priorities/P1/rollups/2019-20' })).json();
  t.same(year.working.measures.map((m: { code: string; period: string | null; rag: string | null; reason: string | null }) => [m.code, m.period, m.rag, m.reason]), [
    ['Q-A', '2019-20-Q1', 'HG', null],
    ['Q-B', '2019-20', 'LG', null],
    ['ANNUAL', '2019-20-Q2', null, 'not_due'],
    ['NEW', null, null, 'introduced_later'],
  ]);
  t.same([year.status, year.score], ['green', 4.5]);
  t.same(year.headline, [{ code: 'ANNUAL', title: 'Measure ANNUAL', rag: null, latestRating: { rag: 'LG', period: '2018-19-Q4' } }]);

  const q2 = (await app.inject({ method: 'GET', url: '/v1/priorities/P1/rollups/2019-20-Q2' })).json();
  t.same(q2.completeness, { expected: 2, received: 1, missing: ['Q-B'], receivedNotDue: 1 }, 'annual not due in Q2; NEW not yet introduced');
  t.same(q2.measures.notRated.byReason.not_available, 1);
  t.same([q2.status, q2.score], [null, null], 'nothing rated: no status');
  t.same(q2.actions, { total: 0, byStatus: { green: 0, amber: 0, red: 0, complete: 0, closed: 0, not_started: 0, no_update: 0 }, withoutUpdate: 0 });

  // Actions: a year takes each action's latest update within it; none stored is left out.
  await as('admin', { method: 'PUT', url: '/v1/actions/ACT-1', payload: { priority: 'P1', objective: 'O', title: 'T' } });
  await as('admin', { method: 'PUT', url: '/v1/actions/ACT-2', payload: { priority: 'P1', objective: 'O', title: 'T' } });
  await as('write', { method: 'PUT', url: '/v1/actions/ACT-1/updates/2019-20-Q1', payload: { status: 'red', text: '' } });
  await as('write', { method: 'PUT', url: '/v1/actions/ACT-1/updates/2019-20-Q3', payload: { status: 'complete', text: 'Done' } });
  const withActions = (await app.inject({ method: 'GET', url: '/v1/priorities/P1/rollups/2019-20' })).json();
  t.same(withActions.working.actions, [
    { code: 'ACT-1', period: '2019-20-Q3', status: 'complete', counted: true, reason: null },
    { code: 'ACT-2', period: null, status: null, counted: false, reason: 'no_update_stored' },
  ]);
  t.same([withActions.score, withActions.counted, withActions.leftOut], [4.67, { measures: 2, actions: 1 }, { measures: 2, actions: 1 }]);
});

t.test('scoring from counts', async (t) => {
  t.same(scoreCounts(DEFAULT_ROLLUP_RULE, { HG: 1, LG: 1, A: 0, LR: 0, HR: 0 }, { green: 3, not_started: 1, no_update: 2 }),
    { status: 'green', score: 4.2, counted: { measures: 2, actions: 3 }, leftOut: { actions: 3 } });
  t.same(scoreCounts(DEFAULT_ROLLUP_RULE, { HG: 0, LG: 1999, A: 1, LR: 0, HR: 0 }, {}),
    { status: 'amber', score: 4, counted: { measures: 2000, actions: 0 }, leftOut: { actions: 0 } }, 'rounded for display only');
});

import t from 'tap';
import { loadSeeds, readSeedFiles } from '../../src/seed/loader.js';
import { buildTestApp } from '../helpers/app.js';

const PRINTED_PERIODS = new Set(['2018-19-Q2', '2019-20-Q1', '2019-20-Q2']);
// DOMAIN.md: the report rates these two resident-survey results A against the rule.
const SURVEY_OVERRIDES = new Set(['BBH-01 2019-20-Q2', 'PVPS-24 2019-20-Q2']);

t.test('the seeded scorecard is the report\'s', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const measures = (await app.inject({ method: 'GET', url: '/v1/measures?limit=500' })).json();
  t.equal(measures.items.length, 114);
  t.equal(measures.nextCursor, null);
  const perPriority = new Map<string, number>();
  for (const m of measures.items) perPriority.set(m.priority, (perPriority.get(m.priority) ?? 0) + 1);
  t.same([...perPriority], [['BBH', 24], ['SMN', 38], ['PVPS', 26], ['SLE', 8], ['MHC', 18]]);
  const priorities = (await app.inject({ method: 'GET', url: '/v1/priorities' })).json().items;
  t.same(priorities.map((p: { title: string }) => p.title), [
    'Build a Better Harrow', 'Supporting Those Most in Need', 'Preserving Vital Public Services',
    'A Strong Local Economy for All', 'Modernising Harrow Council',
  ]);
});

t.test('every numeric cell rates as the report printed it (the two surveys by override)', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const seeds = await readSeedFiles();
  const mi = new Set(seeds.measures.filter((m) => m.managementInfoOnly).map((m) => m.code));
  let cells = 0;
  let agree = 0;
  const disagree: string[] = [];
  for (const s of seeds.readings) {
    const numericTarget = typeof s.target === 'number' || (typeof s.target === 'object' && s.target !== null && 'min' in s.target);
    if (!PRINTED_PERIODS.has(s.period) || typeof s.value !== 'number' || !numericTarget || mi.has(s.measure)) continue;
    cells++;
    const r = (await app.inject({ method: 'GET', url: `/v1/measures/${s.measure}/readings/${s.period}` })).json();
    t.equal(r.rag, s.printedRag ?? null, `${s.measure} ${s.period}: effective rating is the printed one`);
    if (r.computedRag === (s.printedRag ?? null)) agree++;
    else disagree.push(`${s.measure} ${s.period}`);
  }
  t.equal(cells, 159, 'numeric cells (target and actual both numbers)');
  t.equal(agree, 157, 'the rules alone give the printed rating');
  t.same(new Set(disagree), SURVEY_OVERRIDES, 'the two that differ are the surveys');
});

t.test('earlier periods named in the Latest RAG column are each measure\'s latest rating', async (t) => {
  const { app } = await buildTestApp(t, { seed: true });
  const m = (await app.inject({ method: 'GET', url: '/v1/measures/BBH-09' })).json();
  t.same(m.latestRating, { rag: 'HR', period: '2018-19-Q4' }, 'HR (Q4 2018/19) as printed');
  const r = (await app.inject({ method: 'GET', url: '/v1/measures/BBH-09/readings/2018-19-Q4' })).json();
  t.match(r, { value: null, rag: 'HR', computedRag: null, ragOverride: { rag: 'HR' } }, 'no value invented');
});

t.test('seeding again changes nothing', async (t) => {
  const ta = await buildTestApp(t, { seed: true });
  const count = async (table: 'reading_revisions' | 'target_revisions' | 'measures') =>
    Number((await ta.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const before = [await count('reading_revisions'), await count('target_revisions'), await count('measures')];
  const stamp = await ta.db.selectFrom('readings').select((eb) => eb.fn.max('updated_at').as('u')).executeTakeFirstOrThrow();
  const result = await loadSeeds(ta.db);
  t.equal(result.readingsWritten, 0);
  t.same([await count('reading_revisions'), await count('target_revisions'), await count('measures')], before);
  const stamp2 = await ta.db.selectFrom('readings').select((eb) => eb.fn.max('updated_at').as('u')).executeTakeFirstOrThrow();
  t.same(stamp2, stamp, 'no reading touched');
});

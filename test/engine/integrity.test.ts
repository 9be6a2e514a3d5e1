// readings.measure_id is checked per statement (migration 2026_12_01_0900), not by a per-row
// foreign key: the guarantees must be the foreign key's.
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, defineMeasure } from '../helpers/app.js';
import { persistChanges } from '../../src/repositories/write-store.js';
import type { StoredReading } from '../../src/repositories/readings.js';

t.test('a reading must name a measure, and a measure with readings cannot be removed', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  await defineMeasure(ta, 'M2');
  const ok = await ta.as('write', { method: 'PUT', url: '/v1/measures/M1/readings/2019-20-Q2', payload: { value: 5 } });
  t.equal(ok.statusCode, 201);
  const { rows: [m1] } = await sql<{ id: number }>`select id from measures where code = 'M1'`.execute(ta.db);
  const { rows: [max] } = await sql<{ id: number }>`select max(id)::int as id from measures`.execute(ta.db);

  const insert = (ids: number[]) => sql`insert into readings (measure_id, period_key, value, revision, source)
    select id, 20193, 1, 1, 'sql' from unnest(${ids}::int[]) as id`.execute(ta.db);
  await t.rejects(insert([m1.id, max.id + 1]), { code: '23503', message: /does not exist/ }, 'one unknown id refuses the whole statement');
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from readings where period_key = 20193`.execute(ta.db)).rows[0].n), 0, 'nothing of it stored');
  await t.resolves(insert([m1.id]), 'a known id is stored');
  await t.rejects(sql`update readings set measure_id = ${max.id + 7} where measure_id = ${m1.id} and period_key = 20193`.execute(ta.db),
    { code: '23503' }, 'an update cannot point a reading at no measure');

  await t.rejects(sql`delete from measures where code = 'M1'`.execute(ta.db), { code: '23503', message: /has readings/ });
  await t.resolves(sql`delete from measures where code = 'M2'`.execute(ta.db), 'a measure without readings can be removed');
});

t.test('new readings go in as a plain insert; one stored meanwhile by an unlocked writer makes the write retry, not overwrite', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const { rows: [m1] } = await sql<{ id: number }>`select id from measures where code = 'M1'`.execute(ta.db);
  const at = new Date();
  const reading = (value: string): StoredReading => ({
    measureId: m1.id, key: 20192, value, numerator: null, denominator: null, status: null, commentary: null, overrideRag: null,
    overrideReason: null, computedRag: null, rag: null, ragReason: null, variance: null, trend: null, trendPeriodKey: null,
    trendValue: null, revision: 1, source: 'test', updatedAt: at,
  });
  const change = (value: string, readingsAllNew: boolean) => ({ targets: [], targetDeletes: [], targetRevisions: [], readings: [reading(value)], readingHistory: [], at, readingsAllNew });
  await persistChanges(ta.db, change('5', true));
  const stored = async () => (await sql<{ value: string }>`select value::text from readings where measure_id = ${m1.id} and period_key = 20192`.execute(ta.db)).rows.map((r) => r.value);
  t.same(await stored(), ['5'], 'stored by the plain insert');
  await t.rejects(persistChanges(ta.db, change('6', true)), { code: '40001', message: /stored meanwhile/ }, 'a row that is there after all: retry (40001)');
  t.same(await stored(), ['5'], 'and nothing overwritten');
  await persistChanges(ta.db, change('7', false));
  t.same(await stored(), ['7'], 'the upsert (a retry reads the row, so it updates) replaces it');

  // Through the API: a second write of the same period is an update, a new period a plain insert; both derive.
  t.equal((await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'M1', period: '2019-20-Q3', value: 8 }] } })).statusCode, 200);
  const again = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'M1', period: '2019-20-Q3', value: 9 }, { measure: 'M1', period: '2019-20-Q4', value: 10 }] } });
  t.equal(again.statusCode, 200);
  t.match(again.json(), { written: 2, readings: [{ period: '2019-20-Q3', value: 9, revision: 2 }, { period: '2019-20-Q4', value: 10, revision: 1 }] });
});

t.test('a batch whose plain insert meets a row stored meanwhile runs again and stores its reading', async (t) => {
  const ta = await buildTestApp(t);
  await defineMeasure(ta, 'M1');
  const { rows: [m1] } = await sql<{ id: number }>`select id from measures where code = 'M1'`.execute(ta.db);
  // Stands in for a writer that took no lock: once, just before the batch's insert (after its
  // context read), a row for the same measure and period appears in the same table.
  await sql`create sequence sneak_once`.execute(ta.db);
  await sql.raw(`create function sneak() returns trigger language plpgsql as $$ begin
      if nextval('sneak_once') = 1 then
        insert into readings (measure_id, period_key, value, revision, source) values (${m1.id}, 20193, 99, 1, 'sneaky');
      end if;
      return null;
    end $$`).execute(ta.db);
  await sql`create trigger sneak before insert on readings for each statement execute function sneak()`.execute(ta.db);

  const res = await ta.as('write', { method: 'POST', url: '/v1/readings/batch', payload: { readings: [{ measure: 'M1', period: '2019-20-Q3', value: 5 }] } });
  t.equal(res.statusCode, 200, 'answered, not a 500');
  t.match(res.json(), { written: 1, readings: [{ period: '2019-20-Q3', value: 5, revision: 1 }] });
  const { rows } = await sql<{ value: string; source: string }>`select value::text, source from readings where measure_id = ${m1.id} and period_key = 20193`.execute(ta.db);
  t.equal(rows.length, 1);
  t.equal(rows[0]?.value, '5', "the batch's value is what is stored");
  t.not(rows[0]?.source, 'sneaky', 'written by the batch, not the sneaked row');
  const { rows: [seq] } = await sql<{ n: string }>`select last_value::text as n from sneak_once`.execute(ta.db);
  t.equal(seq.n, '3', 'the trigger ran for the first insert, the sneaked row and the retried insert: the write ran twice');
});

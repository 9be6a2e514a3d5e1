// readings.measure_id is checked per statement (migration 2026_12_01_0900), not by a per-row
// foreign key: the guarantees must be the foreign key's.
import t from 'tap';
import { sql } from 'kysely';
import { buildTestApp, defineMeasure } from '../helpers/app.js';

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

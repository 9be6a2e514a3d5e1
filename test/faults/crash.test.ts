// Crash safety: kill -9 the service while batches with Idempotency-Keys stream in. Every
// acknowledged batch is stored in full, no batch is stored in part, and retrying the
// unacknowledged ones with the same keys after a restart stores exactly one copy of each.
import t from 'tap';
import { sql } from 'kysely';
import { createDatabase } from '../../src/db/database.js';
import { generateKey, insertKey } from '../../src/repositories/api-keys.js';
import { serverUrl } from '../helpers/app.js';
import { KEPT_VERSIONS } from '../helpers/recompute.js';
import { cloneDatabase, TEMPLATE_SEEDED } from '../helpers/databases.js';
import { sleep, waitFor } from '../helpers/hostile.js';
import { http, liveProcessesInGroup, startService, type Service } from '../helpers/service.js';

const BATCHES = 80;
const CODES_PER_BATCH = 25; // x 4 quarters = 100 readings a batch
const WORKERS = 4;

const periodOf = (year: number, q: number) => `${year}-${String((year + 1) % 100).padStart(2, '0')}-Q${q}`;
const yearOf = (i: number) => 2030 + i;

t.test('kill -9 mid-stream: all or nothing per batch, exactly once after retries', async (t) => {
  const { url, drop } = await cloneDatabase(serverUrl(), TEMPLATE_SEEDED);
  const { db } = createDatabase({ url, poolMax: 2 });
  const key = generateKey();
  await insertKey(db, key, 'crash-test-writer', 'write');
  const codes = (await db.selectFrom('measures').select('code').orderBy('id').limit(CODES_PER_BATCH).execute()).map((r) => r.code);
  t.equal(codes.length, CODES_PER_BATCH);
  let svc: Service | null = null;
  t.teardown(async () => {
    if (svc?.alive()) await svc.crash();
    await db.destroy();
    await drop();
  });

  const body = (i: number) => ({
    readings: codes.flatMap((code, c) => [1, 2, 3, 4].map((q) => ({ measure: code, period: periodOf(yearOf(i), q), value: i * 1000 + c * 4 + q, commentary: `batch ${i}` }))),
  });
  const idem = (i: number) => `crash-batch-${i}`;
  const send = (s: Service, i: number) =>
    http(s.base, 'POST', '/v1/readings/batch', { body: body(i), headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem(i) }, timeoutMs: 30_000 });

  const acked = new Set<number>();
  const sent = new Set<number>();
  const env = { DATABASE_URL: url, SEED: 'false' };

  // Two rounds: stream batches, kill -9 once some are acknowledged, restart.
  let next = 0;
  for (let round = 1; round <= 2; round++) {
    svc = await startService(env);
    const s = svc;
    const ackTarget = acked.size + 6 + Math.floor(Math.random() * 6);
    let killed = false;
    const inFlight = new Set<number>();
    const worker = async () => {
      while (!killed && next < BATCHES) {
        const i = next++;
        sent.add(i);
        inFlight.add(i);
        try {
          const res = await send(s, i);
          if (res.status === 200 && !killed) acked.add(i);
          else if (res.status !== 200) t.fail(`batch ${i}: unexpected ${res.status} ${res.body.slice(0, 200)}`);
        } catch { /* the connection died with the process: not acknowledged */ }
        inFlight.delete(i);
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);
    while (acked.size < ackTarget && next < BATCHES) await sleep(5);
    if (round === 1) {
      await sleep(Math.random() * 40); // round 1: any moment
    } else {
      // Round 2: the moment a batch's transaction commits, before its answer can reach us.
      await waitFor('a commit of a batch in flight', async () => {
        const { rows } = await sql<{ k: string }>`select idempotency_key as k from idempotency_keys`.execute(db);
        return rows.some((r) => [...inFlight].some((i) => r.k === idem(i) && !acked.has(i)));
      }, 20_000, 1);
    }
    const pending = [...inFlight];
    killed = true;
    await s.crash();
    await Promise.all(workers);
    t.comment(`round ${round}: killed with ${pending.length} batch(es) in flight (${pending.join(', ')}); ${acked.size} acknowledged so far`);
    t.equal(s.alive(), false, `round ${round}: the process is gone`);
    t.same(liveProcessesInGroup(s.pid), [], `round ${round}: nothing of its process group is left`);
  }
  t.ok(acked.size >= 12, `batches were acknowledged before the kills (${acked.size})`);

  // With SQL: every batch is present in full or not at all; every acknowledged one in full.
  const presence = async () => {
    const { rows } = await sql<{ year: number; n: number; ok: number }>`
      select r.period_key / 10 as year, count(*)::int as n,
        count(*) filter (where r.commentary = 'batch ' || (r.period_key / 10 - 2030)::text)::int as ok
      from readings r join measures m on m.id = r.measure_id
      where m.code = any(${codes}::text[]) and r.period_key >= 20300
      group by 1`.execute(db);
    return new Map(rows.map((r) => [r.year - 2030, r]));
  };
  const present = await presence();
  for (const i of sent) {
    const n = present.get(i)?.n ?? 0;
    t.ok(n === 0 || n === 100, `batch ${i}: ${n} of 100 readings stored (all or nothing)`);
    if (acked.has(i)) t.equal(n, 100, `batch ${i} was acknowledged: stored in full`);
  }
  const { rows: keyRows } = await sql<{ k: string }>`select idempotency_key as k from idempotency_keys`.execute(db);
  const storedKeys = new Set(keyRows.map((r) => r.k));
  for (const i of sent) t.equal(storedKeys.has(idem(i)), (present.get(i)?.n ?? 0) === 100, `batch ${i}: its stored answer commits with its readings`);
  const committedUnacked = [...sent].filter((i) => !acked.has(i) && (present.get(i)?.n ?? 0) === 100);
  t.comment(`unacknowledged but committed (the crash came after the commit): ${committedUnacked.join(', ') || 'none'}`);
  t.ok(committedUnacked.length >= 1, 'the kill after a commit left a committed batch its client never heard about');

  // Restart; retry everything not acknowledged (and the batches never sent) with the same keys.
  svc = await startService(env);
  const retry = [...Array(BATCHES).keys()].filter((i) => !acked.has(i));
  for (const i of retry) {
    const res = await send(svc, i);
    t.equal(res.status, 200, `retry of batch ${i}`);
    const replayed = res.headers['idempotent-replayed'] === 'true';
    t.equal(replayed, committedUnacked.includes(i), `batch ${i}: ${replayed ? 'replayed the stored answer' : 'written now'}`);
    t.equal(JSON.parse(res.body).readings.length, 100);
  }
  // And the acknowledged ones again: replays, no new writes.
  for (const i of [...acked].slice(0, 5)) {
    const res = await send(svc, i);
    t.equal(res.headers['idempotent-replayed'], 'true', `a repeat of acknowledged batch ${i} is a replay`);
  }

  const { rows } = await sql<{ n: number; max: number; distinct: number }>`
    select count(*)::int as n, max(c)::int as max, count(distinct year)::int as distinct from (
      select r.period_key / 10 as year, count(*) as c from ${sql.raw(KEPT_VERSIONS)} r join measures m on m.id = r.measure_id
      where m.code = any(${codes}::text[]) and r.period_key >= 20300 group by r.measure_id, r.period_key) x`.execute(db);
  t.same(rows[0], { n: BATCHES * 100, max: 1, distinct: BATCHES }, 'every reading of every batch exactly once: one revision each');
  const after = await presence();
  t.ok([...after.values()].every((r) => r.n === 100 && r.ok === 100), 'every batch complete, with its own values');
  svc.terminate();
  t.equal((await svc.exited).code, 0, 'the service stops cleanly');
});

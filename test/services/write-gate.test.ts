// The batch write gate on its own: no database, timings controlled by the test.
import t from 'tap';
import { AppError } from '../../src/errors.js';
import { WriteGate } from '../../src/services/write-gate.js';

/** A task the test finishes by hand, recording when it started. */
function deferred(log: string[], name: string) {
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((ok, no) => { finish = () => ok(name); fail = no; });
  return { task: () => { log.push(name); return done; }, finish, fail };
}
const tick = () => new Promise((r) => setImmediate(r));

t.test('never runs more than `concurrency` at once, and every task runs', async (t) => {
  const gate = new WriteGate({ concurrency: 2, maxQueue: 100 });
  let running = 0;
  let most = 0;
  const work = (ms: number) => async () => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    return ms;
  };
  const results = await Promise.all([5, 1, 8, 3, 2, 6, 1, 4, 7, 2].map((ms) => gate.run(work(ms))));
  t.equal(most, 2, 'two at most');
  t.same(results, [5, 1, 8, 3, 2, 6, 1, 4, 7, 2], 'each caller gets its own result');
  t.equal(gate.running, 0);
  t.equal(gate.waiting, 0);
});

t.test('waiting requests start in arrival order', async (t) => {
  const gate = new WriteGate({ concurrency: 1, maxQueue: 10 });
  const started: string[] = [];
  const tasks = ['a', 'b', 'c', 'd', 'e'].map((n) => deferred(started, n));
  const all = tasks.map((d) => gate.run(d.task));
  await tick();
  t.same(started, ['a']);
  t.equal(gate.running, 1);
  t.equal(gate.waiting, 4);
  for (const [i, d] of tasks.entries()) {
    d.finish();
    await all[i];
    await tick();
  }
  t.same(started, ['a', 'b', 'c', 'd', 'e']);
});

t.test('refuses with 503 + Retry-After once every slot and the queue are taken', async (t) => {
  const gate = new WriteGate({ concurrency: 2, maxQueue: 1, retryAfterSeconds: 3 });
  const started: string[] = [];
  const held = ['a', 'b', 'c'].map((n) => deferred(started, n));
  const accepted = held.map((d) => gate.run(d.task));
  await tick();
  t.equal(gate.running, 2);
  t.equal(gate.waiting, 1);

  const refused = deferred(started, 'refused');
  const err = await gate.run(refused.task).catch((e: unknown) => e);
  t.ok(err instanceof AppError, 'an AppError, so the error handler answers problem+json');
  const e = err as AppError;
  t.equal(e.status, 503);
  t.equal(e.code, 'service-unavailable');
  t.same(e.headers, { 'retry-after': '3' });
  t.notOk(started.includes('refused'), 'the refused task never ran');

  held[0].finish();
  await accepted[0];
  await tick();
  t.same(started, ['a', 'b', 'c'], 'the waiting one took the freed slot');
  const next = deferred(started, 'd');
  const d = gate.run(next.task);
  t.equal(gate.waiting, 1, 'a place in the queue is free again');
  held[1].finish();
  held[2].finish();
  next.finish();
  t.same(await Promise.all([accepted[1], accepted[2], d]), ['b', 'c', 'd']);
});

t.test('maxQueue 0: runs while a slot is free, refuses otherwise', async (t) => {
  const gate = new WriteGate({ concurrency: 1, maxQueue: 0 });
  const started: string[] = [];
  const a = deferred(started, 'a');
  const first = gate.run(a.task);
  t.equal((await gate.run(async () => 'b').catch((e: AppError) => e) as AppError).status, 503, 'refused while the only slot is taken');
  a.finish();
  t.equal(await first, 'a');
  t.equal(await gate.run(async () => 'c'), 'c');
});

t.test('a failing task frees its slot and its error reaches its caller only', async (t) => {
  const gate = new WriteGate({ concurrency: 1, maxQueue: 5 });
  const started: string[] = [];
  const a = deferred(started, 'a');
  const first = gate.run(a.task);
  const second = gate.run(async () => 'b');
  a.fail(new Error('boom'));
  await t.rejects(first, { message: 'boom' });
  t.equal(await second, 'b');
});

t.test('a waiting request whose client went away leaves the queue without running', async (t) => {
  const gate = new WriteGate({ concurrency: 1, maxQueue: 5 });
  const started: string[] = [];
  const a = deferred(started, 'a');
  const first = gate.run(a.task);
  const ac = new AbortController();
  const gone = gate.run(deferred(started, 'gone').task, ac.signal);
  const after = deferred(started, 'after');
  const third = gate.run(after.task);
  t.equal(gate.waiting, 2);
  ac.abort(new Error('client closed'));
  await t.rejects(gone, { message: 'client closed' });
  t.equal(gate.waiting, 1);
  a.finish();
  await first;
  await tick();
  after.finish();
  t.equal(await third, 'after');
  t.same(started, ['a', 'after']);
});

t.test('a running request whose client went away keeps its slot until its work ends', async (t) => {
  const gate = new WriteGate({ concurrency: 1, maxQueue: 5 });
  const started: string[] = [];
  const ac = new AbortController();
  const a = deferred(started, 'a');
  const first = gate.run(a.task, ac.signal);
  await tick();
  const next = deferred(started, 'next');
  const second = gate.run(next.task);
  ac.abort(new Error('client closed'));
  await tick();
  t.equal(gate.running, 1, 'the transaction still runs, so its slot stays taken');
  t.same(started, ['a'], 'and the next one does not start beside it');
  a.finish();
  t.equal(await first, 'a', 'its result still reaches the caller');
  await tick();
  t.same(started, ['a', 'next'], 'the slot passes on when the work ends');
  next.finish();
  t.equal(await second, 'next');
  const late = new AbortController();
  late.abort(new Error('gone already'));
  await t.rejects(gate.run(async () => 'never', late.signal), { message: 'gone already' }, 'a signal aborted before the call never runs');
});

t.test('rejects nonsense sizes', async (t) => {
  t.throws(() => new WriteGate({ concurrency: 0, maxQueue: 1 }), RangeError);
  t.throws(() => new WriteGate({ concurrency: 1, maxQueue: -1 }), RangeError);
  t.throws(() => new WriteGate({ concurrency: 1.5, maxQueue: 1 }), RangeError);
});

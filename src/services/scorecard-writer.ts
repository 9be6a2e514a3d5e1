// The write path shared by readings, targets and measure changes. Per call: the lock, one
// read of the affected periods, pure derivation in memory, and one set-based write. Every
// writer that can change a measure's derived values takes its measure's lock first
// (lockAndReadMeasures: advisory locks in key order), so concurrent writers (on any connection
// or instance) serialise per measure and cannot deadlock with each other.
import { retryTransaction } from '../db/transaction.js';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { MeasureDirectory } from '../repositories/measure-directory.js';
import type { DB, MeasureRow } from '../db/types.js';
import { deriveReading, DEPENDENT_SPAN, type Derived, type MeasureRules } from '../domain/derive.js';
import type { TargetSpec } from '../domain/types.js';
import { AppError, type FieldError } from '../errors.js';
import { readingView, type StoredReading } from '../repositories/readings.js';
import { loadWindows, lockMeasureRowByCode, lockMeasuresByCode, lockPriority, persistChanges, targetReasons, unlockedPriorities, type LockedMeasure, type MeasureContext, type MeasureRuleColumns, type RevisionWrite, type TargetWrite, type Window } from '../repositories/write-store.js';
import type { ReadingView } from '../schemas/readings.js';
import { sameDecimal } from './decimal-input.js';
import type { ReadingChange, TargetChange } from './reading-writes.js';

type Trx = Transaction<DB>;

export const rulesOf = (m: MeasureRuleColumns): MeasureRules => ({
  polarity: m.polarity,
  managementInfoOnly: m.management_info_only,
  frequency: m.frequency,
  reportingQuarter: m.reporting_quarter,
  trendBasis: m.trend_basis,
});

/** Locks the named measures; returns those that exist, by code. */
export async function lockMeasures(trx: Trx, codes: string[], directory?: MeasureDirectory): Promise<Map<string, LockedMeasure>> {
  const rows = await lockMeasuresByCode(trx, [...new Set(codes)], directory);
  return new Map(rows.map((m) => [m.code, m]));
}

/** Locks one measure and reads its whole row under the lock, for a writer that replaces the measure. */
export const lockMeasureRow = (trx: Trx, code: string): Promise<MeasureRow | undefined> => lockMeasureRowByCode(trx, code);

/** A measure moving to another priority takes that priority's lock too. */
export const lockMovedTo = (trx: Trx, priorityId: number): Promise<void> => lockPriority(trx, priorityId);

/** Windows from this many measures up are read in two halves at once, when a second connection is given. */
export const PARALLEL_READ_FROM = 400;

async function readContext(trx: Trx, windows: Window[], pool: Database | undefined): Promise<Map<number, MeasureContext>> {
  if (!pool || windows.length < PARALLEL_READ_FROM) return loadWindows(trx, windows);
  const half = Math.ceil(windows.length / 2);
  const [a, b] = await Promise.all([loadWindows(trx, windows.slice(0, half)), loadWindows(pool, windows.slice(half))]);
  for (const [id, c] of b) a.set(id, c);
  return a;
}

/** One number per (measure, period): ids and period keys are positive int4 and keys < 100,000. */
const rk = (measureId: number, key: number) => measureId * 100_000 + key;

export interface WriteOutcome {
  /** Views of the readings named by the request, in request order (null for target-only changes); empty when `views: false`. */
  views: (ReadingView | null)[];
  written: number;
  unchanged: number;
  rederived: number;
  changedIndexes: Set<number>;
}

const sameTarget = (a: TargetSpec | null, b: TargetSpec | null) => {
  if (!a || !b) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'value' && b.kind === 'value') return sameDecimal(a.value, b.value);
  if (a.kind === 'band' && b.kind === 'band') return sameDecimal(a.min, b.min) && sameDecimal(a.max, b.max);
  return a.kind === 'rule' && b.kind === 'rule' && a.rule === b.rule;
};

const sameInputs = (a: StoredReading, b: StoredReading) =>
  sameDecimal(a.value, b.value) && sameDecimal(a.numerator, b.numerator) && sameDecimal(a.denominator, b.denominator) &&
  a.status === b.status && a.commentary === b.commentary && a.overrideRag === b.overrideRag && a.overrideReason === b.overrideReason;

const sameDerived = (r: StoredReading, d: Derived) =>
  r.computedRag === d.computedRag && r.rag === d.rag && r.ragReason === d.ragReason && sameDecimal(r.variance, d.variance) &&
  r.trend === d.trend && r.trendPeriodKey === d.trendPeriodKey && sameDecimal(r.trendValue, d.trendValue);

/**
 * Applies reading and target changes for measures already locked, re-derives every reading
 * they can affect, and stores what changed. `allPeriods` re-derives a measure's whole history
 * (its polarity or rules changed).
 */
export async function applyChanges(
  trx: Trx,
  measures: Map<string, LockedMeasure>,
  changes: { readings?: ReadingChange[]; targets?: TargetChange[]; allPeriodsOf?: LockedMeasure[] },
  opts: {
    source: string; dryRun?: boolean; now?: Date;
    /**
     * A second connection, already held, when this transaction has written nothing the context
     * read must see: a large write then reads half its context on it, in parallel (the locks
     * are held, so committed data is all there is to see for these measures).
     */
    parallelRead?: Database;
    /** Where lockMeasures found the ids and lock keys, if it used one: forgotten when stale. */
    directory?: MeasureDirectory;
    /** false: the caller will not answer with the readings (Prefer: return=minimal), so no views are built. */
    views?: boolean;
  },
): Promise<WriteOutcome> {
  const now = opts.now ?? new Date();
  const readingChanges = changes.readings ?? [];
  const targetChanges: TargetChange[] = [...(changes.targets ?? [])];
  for (const c of readingChanges) {
    if (c.target !== undefined) targetChanges.push({ index: c.index, measure: c.measure, key: c.key, spec: c.target, reason: undefined });
  }

  // Which periods can change: the written ones and, up to a year later, those comparing with them.
  // `only`: true while the measure has one written period, the window's first (so, if no later
  // reading exists, that period's target is the only one the rules read).
  const span = new Map<number, { lo: number; hi: number; only: boolean }>();
  const widen = (id: number, lo: number, hi: number) => {
    const w = span.get(id);
    span.set(id, w ? { lo: Math.min(w.lo, lo), hi: Math.max(w.hi, hi), only: false } : { lo, hi, only: true });
  };
  for (const c of [...readingChanges, ...targetChanges]) {
    const m = measures.get(c.measure)!;
    widen(m.id, c.key, c.key + DEPENDENT_SPAN);
  }
  for (const m of changes.allPeriodsOf ?? []) { widen(m.id, 0, 2_147_483_647 - DEPENDENT_SPAN); span.get(m.id)!.only = false; }
  const windows: Window[] = [...span].map(([measureId, w]) => ({ measureId, lo: w.lo, hi: w.hi, single: w.only }));

  const context = await readContext(trx, windows, opts.parallelRead);
  const ctxOf = (id: number) => context.get(id)!;
  const gone = [...measures.values()].filter((m) => span.has(m.id) && !context.has(m.id));
  const moved = gone.length ? [] : await unlockedPriorities(trx, measures.values(), (id) => context.get(id)?.priorityId);
  if (gone.length || moved.length) {
    // Moved to another priority (or removed) by a writer that committed after the lock keys
    // were looked up: the whole transaction runs again (retryTransaction) with a
    // fresh lookup, and locks the priority the measure is in now.
    const stale = new Set([...gone.map((m) => m.id), ...moved]);
    opts.directory?.forget([...measures.values()].filter((m) => stale.has(m.id)).map((m) => m.code));
    throw retryTransaction(`measures ${[...stale].join(', ')} moved or removed while this write waited; retrying`);
  }
  for (const t of await targetReasons(trx, targetChanges.map((c) => ({ measureId: measures.get(c.measure)!.id, key: c.key })))) {
    const cur = ctxOf(t.measureId).targets.get(t.key);
    if (cur) cur.reason = t.reason;
  }
  const original = new Map<number, StoredReading>();
  for (const [id, ctx] of context) for (const r of ctx.readings.values()) original.set(rk(id, r.key), r);
  const codeOf = new Map([...measures.values()].map((m) => [m.id, m.code]));
  // A stored version is kept in history, as it was written, before its row or its target first changes.
  const history = new Map<number, RevisionWrite>();
  const keepHistory = (id: number, key: number) => {
    const r = original.get(rk(id, key));
    if (!r || history.has(rk(id, key))) return;
    // A period's target is replaced only after its reading's history is kept, so this is the target it was written with.
    const snapshot = readingView(codeOf.get(id)!, r, ctxOf(id).targets.get(key)?.spec ?? null);
    history.set(rk(id, key), { measureId: id, key, revision: r.revision, snapshot, source: r.source, at: r.updatedAt });
  };

  // Targets first: a reading's rating depends on its period's target.
  const targetUpserts: TargetWrite[] = [];
  const targetDeletes: { measureId: number; key: number }[] = [];
  const targetRevisions: RevisionWrite[] = [];
  const changedIndexes = new Set<number>();
  const revisionBase = await targetRevisionBase(trx, measures, targetChanges, context);
  for (const c of targetChanges) {
    const m = measures.get(c.measure)!;
    const cur = ctxOf(m.id).targets.get(c.key) ?? null;
    if (sameTarget(cur?.spec ?? null, c.spec) && (c.spec === null || c.reason === undefined || (cur?.reason ?? null) === c.reason)) continue;
    const reason = c.reason ?? null;
    const revision = Math.max(cur?.revision ?? 0, revisionBase.get(rk(m.id, c.key)) ?? 0) + 1;
    changedIndexes.add(c.index);
    keepHistory(m.id, c.key);
    if (c.spec) {
      ctxOf(m.id).targets.set(c.key, { spec: c.spec, reason, revision });
      targetUpserts.push({ measureId: m.id, key: c.key, spec: c.spec, reason, revision, source: opts.source, at: now });
    } else {
      ctxOf(m.id).targets.set(c.key, null);
      targetDeletes.push({ measureId: m.id, key: c.key });
    }
    targetRevisions.push({ measureId: m.id, key: c.key, revision, snapshot: { target: c.spec, reason }, source: opts.source, at: now });
  }

  // Then the readings' own inputs.
  const inputChanged = new Set<number>();
  for (const c of readingChanges) {
    const m = measures.get(c.measure)!;
    const own = ctxOf(m.id).readings;
    const cur = own.get(c.key);
    const next: StoredReading = {
      measureId: m.id, key: c.key, value: c.value, numerator: c.numerator, denominator: c.denominator, status: c.status,
      commentary: c.commentary === undefined ? cur?.commentary ?? null : c.commentary,
      overrideRag: c.override === undefined ? cur?.overrideRag ?? null : c.override?.rag ?? null,
      overrideReason: c.override === undefined ? cur?.overrideReason ?? null : c.override?.reason ?? null,
      computedRag: cur?.computedRag ?? null, rag: cur?.rag ?? null, ragReason: cur?.ragReason ?? null, variance: cur?.variance ?? null,
      trend: cur?.trend ?? null, trendPeriodKey: cur?.trendPeriodKey ?? null, trendValue: cur?.trendValue ?? null,
      revision: cur?.revision ?? 0, source: cur?.source ?? opts.source, updatedAt: cur?.updatedAt ?? now,
    };
    if (cur && sameInputs(cur, next)) continue;
    next.revision = (cur?.revision ?? 0) + 1;
    next.source = opts.source;
    next.updatedAt = now;
    own.set(c.key, next);
    inputChanged.add(rk(m.id, c.key));
    changedIndexes.add(c.index);
  }

  // Re-derive every reading in the affected spans; keep those whose stored values differ.
  const toWrite: StoredReading[] = [];
  for (const [id, w] of span) {
    const ctx = ctxOf(id);
    const rules = rulesOf(ctx.rules);
    const own = ctx.readings;
    const before = ctx.earlier;
    const tg = ctx.targets;
    const lookup = {
      target: (k: number) => tg.get(k)?.spec ?? null,
      value: (k: number) => (k < w.lo ? before.get(k) : own.get(k)?.value) ?? null,
    };
    const rows = own.size > 1 ? [...own.values()].sort((a, b) => a.key - b.key) : own.values();
    for (const r of rows) {
      if (r.key < w.lo || r.key > w.hi) continue;
      const d = deriveReading(rules, r.key, r, lookup);
      const changedInput = inputChanged.has(rk(id, r.key));
      if (!changedInput && sameDerived(r, d)) continue;
      // This write's own new versions are updated in place; a stored row is copied (history keeps the original).
      let updated = r;
      if (!changedInput) {
        keepHistory(id, r.key);
        updated = { ...r };
        own.set(r.key, updated);
      }
      Object.assign(updated, d);
      updated.updatedAt = now;
      toWrite.push(updated);
    }
  }
  for (const k of inputChanged) keepHistory(Math.floor(k / 100_000), k % 100_000);

  // The answer's views are built while PostgreSQL stores the rows: one turn of the event loop
  // lets the statement go out first, then the CPU work overlaps the database's.
  const stored = opts.dryRun ? null
    : persistChanges(trx, {
      targets: targetUpserts, targetDeletes, targetRevisions, readings: toWrite, readingHistory: [...history.values()], at: now,
      readingsAllNew: toWrite.every((r) => !original.has(rk(r.measureId, r.key))),
    });
  if (stored && opts.views !== false) {
    stored.catch(() => undefined); // awaited below; a failure while we build views is not an unhandled rejection
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const viewOf = (r: StoredReading) => readingView(codeOf.get(r.measureId)!, r, ctxOf(r.measureId).targets.get(r.key)?.spec ?? null);
  const views = opts.views === false ? [] : readingChanges.map((c) => viewOf(ctxOf(measures.get(c.measure)!.id).readings.get(c.key)!));
  let rederived = 0;
  for (const r of toWrite) if (!inputChanged.has(rk(r.measureId, r.key)) && original.has(rk(r.measureId, r.key))) rederived++;
  const outcome: WriteOutcome = {
    views,
    written: inputChanged.size,
    unchanged: readingChanges.length - inputChanged.size,
    rederived,
    changedIndexes,
  };
  await stored;
  return outcome;
}

/** A target added back after removal continues its revision numbering from its history. */
async function targetRevisionBase(
  trx: Trx, measures: Map<string, LockedMeasure>, changes: TargetChange[], current: Map<number, MeasureContext>,
): Promise<Map<number, number>> {
  const missing = changes
    .map((c) => ({ id: measures.get(c.measure)!.id, key: c.key }))
    .filter((c) => !current.get(c.id)!.targets.get(c.key));
  if (!missing.length) return new Map();
  const rows = await sql<{ measure_id: number; period_key: number; max: number }>`
    select r.measure_id, r.period_key, max(r.revision)::int as max from target_revisions r
    join unnest(${missing.map((m) => m.id)}::int[], ${missing.map((m) => m.key)}::int[]) as x(id, k) on r.measure_id = x.id and r.period_key = x.k
    group by r.measure_id, r.period_key`.execute(trx);
  return new Map(rows.rows.map((r) => [rk(r.measure_id, r.period_key), r.max]));
}

/** Every unknown measure code among the items, as field errors. */
export function unknownMeasures(measures: Map<string, LockedMeasure>, items: { measure: string; index: number }[], pointer: (i: number) => string): FieldError[] {
  return items.filter((i) => !measures.has(i.measure)).map((i) => ({ field: pointer(i.index), message: `measure '${i.measure}' does not exist` }));
}

export function unprocessable(errors: FieldError[], what: string): AppError {
  return new AppError('unprocessable-content', `${errors.length} ${what} cannot be applied; nothing was written`, { errors });
}

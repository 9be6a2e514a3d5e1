import type { Database } from '../../src/db/database.js';
import { deriveReading, type Derived } from '../../src/domain/derive.js';
import { targetSpecOf } from '../../src/repositories/readings.js';
import { rulesOf } from '../../src/services/scorecard-writer.js';
import type { Rag, ReadingStatus } from '../../src/domain/types.js';

/**
 * Re-derives every stored reading from scratch (all of a measure's readings and targets, no
 * windows) and returns those whose stored derived values differ: the write path's invariant
 * is that this list is always empty.
 */
export async function staleReadings(db: Database): Promise<{ measure: string; key: number; stored: Partial<Derived>; fresh: Derived }[]> {
  const measures = await db.selectFrom('measures').selectAll().execute();
  const readings = await db.selectFrom('readings').selectAll().execute();
  const targets = await db.selectFrom('targets').selectAll().execute();
  const out: { measure: string; key: number; stored: Partial<Derived>; fresh: Derived }[] = [];
  const num = (s: string | null) => (s === null ? null : Number(s));
  for (const m of measures) {
    const own = readings.filter((r) => r.measure_id === m.id);
    const tg = new Map(targets.filter((x) => x.measure_id === m.id).map((x) => [x.period_key, targetSpecOf(x)]));
    const values = new Map(own.map((r) => [r.period_key, r.value]));
    for (const r of own) {
      const fresh = deriveReading(rulesOf(m), r.period_key, { value: r.value, status: r.status as ReadingStatus | null, overrideRag: r.override_rag as Rag | null }, {
        target: (k) => tg.get(k) ?? null,
        value: (k) => values.get(k) ?? null,
      });
      const stored = {
        computedRag: r.computed_rag, rag: r.rag, ragReason: r.rag_reason, variance: r.variance, trend: r.trend,
        trendPeriodKey: r.trend_period_key, trendValue: r.trend_value,
      } as Partial<Derived>;
      const same = stored.computedRag === fresh.computedRag && stored.rag === fresh.rag && stored.ragReason === fresh.ragReason &&
        num(r.variance) === num(fresh.variance) && stored.trend === fresh.trend && stored.trendPeriodKey === fresh.trendPeriodKey &&
        num(r.trend_value) === num(fresh.trendValue);
      if (!same) out.push({ measure: m.code, key: r.period_key, stored, fresh });
    }
  }
  return out;
}

/**
 * Every stored version of every reading, as SQL: superseded ones in reading_revisions and the
 * current one in its readings row (the same version can be in both once re-derived).
 */
export const KEPT_VERSIONS = `(select measure_id, period_key, revision from reading_revisions
  union select measure_id, period_key, revision from readings)`;

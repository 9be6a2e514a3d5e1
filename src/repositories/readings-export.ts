import { formatPeriod, periodFromKey } from '../domain/periods.js';
import type { ExportRow } from '../schemas/export.js';
import type { Executor } from './readings.js';

export interface ExportFilter { key?: number; priority?: string; rag?: string; headline?: boolean; measure?: string }

/** Decimals stay as PostgreSQL's exact text here: JSON turns them into numbers, CSV writes them as they are. */
export type ExportRecord = Omit<ExportRow, 'value' | 'numerator' | 'denominator' | 'targetValue' | 'targetMin' | 'targetMax' | 'variance'> & {
  value: string | null; numerator: string | null; denominator: string | null;
  targetValue: string | null; targetMin: string | null; targetMax: string | null; variance: string | null;
  cursorKey: [number, number];
};

/**
 * Readings joined to their measure, priority and target, in (period_key, measure_id) order:
 * the order of readings_period_idx, so a period's page is an index range scan and the keyset
 * cursor continues exactly where the last page stopped.
 */
export async function exportRows(db: Executor, f: ExportFilter, after: [number, number] | null, limit: number): Promise<ExportRecord[]> {
  let q = db.selectFrom('readings as r')
    .innerJoin('measures as m', 'm.id', 'r.measure_id')
    .innerJoin('priorities as p', 'p.id', 'm.priority_id')
    .leftJoin('targets as t', (j) => j.onRef('t.measure_id', '=', 'r.measure_id').onRef('t.period_key', '=', 'r.period_key'))
    .select([
      'm.code', 'm.title', 'm.report_number', 'p.code as priority_code', 'm.polarity', 'm.unit', 'm.headline', 'm.frequency',
      'm.reporting_quarter', 'm.management_info_only', 'm.portfolio_holder', 'm.lead_officer', 'm.directorate',
      'r.measure_id', 'r.period_key', 'r.value', 'r.numerator', 'r.denominator', 'r.status', 'r.rag', 'r.computed_rag',
      'r.override_reason', 'r.rag_reason', 'r.variance', 'r.trend', 'r.trend_period_key', 'r.commentary', 'r.revision',
      'r.updated_at', 'r.source',
      't.kind as t_kind', 't.value as t_value', 't.min as t_min', 't.max as t_max', 't.rule as t_rule',
    ])
    .orderBy('r.period_key').orderBy('r.measure_id').limit(limit);
  if (f.key !== undefined) q = q.where('r.period_key', '=', f.key);
  if (f.priority !== undefined) q = q.where('p.code', '=', f.priority);
  if (f.rag !== undefined) q = q.where('r.rag', '=', f.rag);
  if (f.headline !== undefined) q = q.where('m.headline', '=', f.headline);
  if (f.measure !== undefined) q = q.where('m.code', '=', f.measure);
  if (after) q = q.where((eb) => eb(eb.refTuple('r.period_key', 'r.measure_id'), '>', eb.tuple(after[0], after[1])));

  return (await q.execute()).map((r) => ({
    measure: r.code, measureTitle: r.title, reportNumber: r.report_number, priority: r.priority_code, polarity: r.polarity,
    unit: r.unit, headline: r.headline, frequency: r.frequency, reportingQuarter: r.reporting_quarter,
    managementInfoOnly: r.management_info_only, portfolioHolder: r.portfolio_holder, leadOfficer: r.lead_officer,
    directorate: r.directorate,
    period: formatPeriod(periodFromKey(r.period_key)),
    value: r.value, numerator: r.numerator, denominator: r.denominator, status: r.status as ExportRow['status'],
    targetValue: r.t_kind === 'value' ? r.t_value : null,
    targetMin: r.t_kind === 'band' ? r.t_min : null,
    targetMax: r.t_kind === 'band' ? r.t_max : null,
    targetRule: r.t_kind === 'rule' ? (r.t_rule as ExportRow['targetRule']) : null,
    rag: r.rag as ExportRow['rag'], computedRag: r.computed_rag as ExportRow['computedRag'],
    ragOverrideReason: r.override_reason, ragReason: r.rag_reason as ExportRow['ragReason'],
    variance: r.variance, trend: r.trend as ExportRow['trend'],
    trendComparedWith: r.trend_period_key === null ? null : formatPeriod(periodFromKey(r.trend_period_key)),
    commentary: r.commentary, revision: r.revision, updatedAt: r.updated_at.toISOString(), source: r.source,
    cursorKey: [r.period_key, r.measure_id],
  }));
}

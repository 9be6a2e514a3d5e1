import type { MeasureRow } from '../db/types.js';
import { formatPeriod, periodFromKey } from '../domain/periods.js';
import type { MeasureBody, MeasureView } from '../schemas/measures.js';
import type { Executor } from './readings.js';

type Columns = Omit<MeasureRow, 'id' | 'code' | 'created_at' | 'updated_at'>;

/** API body -> columns; omitted optional fields take their defaults (PUT replaces). */
export function measureColumns(body: MeasureBody, priorityId: number): Columns {
  return {
    priority_id: priorityId,
    report_number: body.reportNumber ?? null,
    title: body.title,
    polarity: body.polarity,
    unit: body.unit ?? null,
    headline: body.headline ?? false,
    frequency: body.frequency ?? 'quarterly',
    reporting_quarter: body.reportingQuarter ?? null,
    cumulative: body.cumulative ?? false,
    rolling12: body.rolling12 ?? false,
    trend_basis: body.trendBasis ?? 'previous_period',
    management_info_only: body.managementInfoOnly ?? false,
    equalities: body.equalities ?? false,
    survey: body.survey ?? false,
    new_in_year: body.newInYear ?? null,
    portfolio_holder: body.portfolioHolder ?? null,
    lead_officer: body.leadOfficer ?? null,
    directorate: body.directorate ?? null,
    description: body.description ?? null,
  };
}

/** Columns -> the API body shape, so PATCH can merge onto the stored definition. */
export function bodyOf(m: MeasureRow, priorityCode: string): MeasureBody {
  return {
    priority: priorityCode, title: m.title, polarity: m.polarity, reportNumber: m.report_number, unit: m.unit,
    headline: m.headline, frequency: m.frequency, reportingQuarter: m.reporting_quarter, cumulative: m.cumulative,
    rolling12: m.rolling12, trendBasis: m.trend_basis, managementInfoOnly: m.management_info_only, equalities: m.equalities,
    survey: m.survey, newInYear: m.new_in_year, portfolioHolder: m.portfolio_holder, leadOfficer: m.lead_officer,
    directorate: m.directorate, description: m.description,
  };
}

/** The fields the rules read: when one changes, every reading of the measure is re-derived. */
export const RULE_COLUMNS = ['polarity', 'management_info_only', 'frequency', 'reporting_quarter', 'trend_basis'] as const;

/** Inserts unless the code exists (a concurrent create won); returns whether it inserted. */
export async function insertMeasure(db: Executor, code: string, cols: Columns): Promise<boolean> {
  const row = await db.insertInto('measures').values({ code, ...cols })
    .onConflict((oc) => oc.column('code').doNothing()).returning('id').executeTakeFirst();
  return row !== undefined;
}

export async function updateMeasure(db: Executor, id: number, cols: Columns): Promise<void> {
  await db.updateTable('measures').set({ ...cols, updated_at: new Date() }).where('id', '=', id).execute();
}

const viewQuery = (db: Executor) =>
  db
    .selectFrom('measures as m')
    .innerJoin('priorities as p', 'p.id', 'm.priority_id')
    .leftJoinLateral(
      (eb) => eb.selectFrom('readings as r').select(['r.rag', 'r.period_key'])
        .whereRef('r.measure_id', '=', 'm.id').where('r.rag', 'is not', null)
        .orderBy('r.period_key', 'desc').limit(1).as('lr'),
      (join) => join.onTrue(),
    )
    .selectAll('m')
    .select(['p.code as priority_code', 'lr.rag as latest_rag', 'lr.period_key as latest_key']);

type ViewRow = MeasureRow & { priority_code: string; latest_rag: string | null; latest_key: number | null };

export function measureView(r: ViewRow): MeasureView {
  return {
    code: r.code,
    ...bodyOf(r, r.priority_code),
    reportNumber: r.report_number, unit: r.unit, reportingQuarter: r.reporting_quarter, newInYear: r.new_in_year,
    portfolioHolder: r.portfolio_holder, leadOfficer: r.lead_officer, directorate: r.directorate, description: r.description,
    headline: r.headline, frequency: r.frequency, cumulative: r.cumulative, rolling12: r.rolling12, trendBasis: r.trend_basis,
    managementInfoOnly: r.management_info_only, equalities: r.equalities, survey: r.survey,
    latestRating: r.latest_rag && r.latest_key !== null
      ? { rag: r.latest_rag as 'HG', period: formatPeriod(periodFromKey(r.latest_key)) }
      : null,
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function getMeasure(db: Executor, code: string): Promise<MeasureView | null> {
  const r = await viewQuery(db).where('m.code', '=', code).executeTakeFirst();
  return r ? measureView(r as ViewRow) : null;
}

export async function getMeasureRow(db: Executor, code: string): Promise<(MeasureRow & { priority_code: string }) | null> {
  const r = await db.selectFrom('measures as m').innerJoin('priorities as p', 'p.id', 'm.priority_id')
    .selectAll('m').select('p.code as priority_code').where('m.code', '=', code).executeTakeFirst();
  return r ?? null;
}

export interface MeasureFilter { priority?: string; headline?: boolean; polarity?: string; q?: string }

export async function listMeasures(db: Executor, f: MeasureFilter, afterId: number | null, limit: number): Promise<(MeasureView & { id: number })[]> {
  let q = viewQuery(db).orderBy('m.id').limit(limit);
  if (afterId !== null) q = q.where('m.id', '>', afterId);
  if (f.priority) q = q.where('p.code', '=', f.priority);
  if (f.headline !== undefined) q = q.where('m.headline', '=', f.headline);
  if (f.polarity) q = q.where('m.polarity', '=', f.polarity as 'higher');
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('m.title', 'ilike', like), eb('m.code', 'ilike', like)]));
  }
  return (await q.execute()).map((r) => ({ ...measureView(r as ViewRow), id: r.id }));
}

export const sameColumns = (a: Columns, b: Columns) =>
  (Object.keys(a) as (keyof Columns)[]).every((k) => a[k] === b[k]);

export const rulesChanged = (a: Columns, b: Columns) => RULE_COLUMNS.some((k) => a[k] !== b[k]);


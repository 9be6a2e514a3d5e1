import { Type, type Static } from 'typebox';
import { Code, describe, enumOf, ListOf, ListQuery, Nullable, PeriodString, RagCode } from './common.js';
import { Frequency, Polarity } from './measures.js';
import { NOT_RATED_REASONS, ReadingStatus, TARGET_RULES } from './readings.js';

const text = (description: string, example: string) => Nullable(Type.String({ description, examples: [example] }));
const num = (description: string, example: number) => Nullable(Type.Number({ description, examples: [example] }));

/**
 * One flat row per measure and period: the measure's fields beside the reading's, the target
 * flattened to four columns, so a spreadsheet or BI tool needs no joins. The CSV has the same
 * columns in this order.
 */
export const ExportRow = Type.Object({
  measure: Code('Measure', 'BBH-02'),
  measureTitle: Type.String({ description: 'Measure title as printed', examples: ['Number of new Council homes started on site (cumulative)'] }),
  reportNumber: text("The report's own row number", '2'),
  priority: Code('Priority', 'BBH'),
  polarity: Polarity,
  unit: text('Unit', 'count'),
  headline: Type.Boolean({ description: 'Headline KPI', examples: [true] }),
  frequency: Frequency,
  reportingQuarter: Nullable(Type.Integer({ description: 'Quarter an annual measure reports in', examples: [4] })),
  managementInfoOnly: Type.Boolean({ description: 'MI only: never rated', examples: [false] }),
  portfolioHolder: text('Portfolio-holder lead (PH lead)', "Phillip O'Dell"),
  leadOfficer: text('Officer lead (CSB lead)', 'Paul Walker'),
  directorate: text('Directorate', 'Community'),
  period: PeriodString,
  value: num('Actual value; null when a status is reported instead', 27),
  numerator: num('Numerator behind the value', 10),
  denominator: num('Denominator behind the value', 26),
  status: Nullable(ReadingStatus),
  targetValue: num('Numeric target', 42),
  targetMin: num('Band target minimum', 0.9),
  targetMax: num('Band target maximum', 1.1),
  targetRule: Nullable(enumOf(TARGET_RULES, 'Target rule instead of a number', 'year_on_year_reduction')),
  rag: Nullable(describe(RagCode, 'Effective rating: the override if any, else the computed one', 'A')),
  computedRag: Nullable(describe(RagCode, 'Rating the rules give', 'HG')),
  ragOverrideReason: text('Why the rating was overridden, when it was', 'Survey result within the margin of error'),
  ragReason: Nullable(enumOf(NOT_RATED_REASONS, 'Why the rules give no rating, when they do not', 'no_target')),
  variance: num('Signed fraction the rating came from: +0.05 is 5% better than target', -0.357142857143),
  trend: Nullable(enumOf(['improving', 'declining', 'no_change'] as const, 'Direction of travel against the basis period', 'improving')),
  trendComparedWith: Nullable(describe(PeriodString, 'Period the trend compared with', '2019-20-Q1')),
  commentary: text('Management commentary', '98 starts are expected in Q3.'),
  revision: Type.Integer({ description: 'Number of changes written to this reading', examples: [1] }),
  updatedAt: Type.String({ format: 'date-time', description: 'When this reading last changed', examples: ['2019-10-15T09:30:00.000Z'] }),
  source: Type.String({ description: 'Name of the API key that last wrote it', examples: ['housing-system'] }),
}, { additionalProperties: false, description: 'A reading with its measure, flattened for BI tools' });
export type ExportRow = Static<typeof ExportRow>;
export const EXPORT_COLUMNS = Object.keys(ExportRow.properties) as (keyof ExportRow)[];

export const ExportQuery = Type.Object({
  period: Type.Optional(PeriodString),
  priority: Type.Optional(Code("Only this priority's measures", 'BBH')),
  rag: Type.Optional(RagCode),
  headline: Type.Optional(Type.Boolean({ description: 'Only headline (true) or non-headline (false) measures', examples: [true] })),
  measure: Type.Optional(Code('Only this measure', 'BBH-02')),
  format: Type.Optional(enumOf(['json', 'csv'] as const, 'Overrides the Accept header (for tools that cannot set headers, e.g. Excel "From Web")', 'csv')),
  ...ListQuery,
});

export const ExportPage = ListOf(ExportRow, 'readings');
export const CSV_PAGE_ROWS = 100_000;

import { Type, type Static } from 'typebox';
import { describe, enumOf, Code, DecimalNumber, Nullable, PeriodString, RagCode, Text } from './common.js';

export const READING_STATUSES = ['no_survey', 'not_due', 'not_available', 'in_arrears'] as const;
export const NOT_RATED_REASONS = [
  'no_target', 'target_to_be_agreed', 'baseline', 'management_info_only', 'status_reported', 'nothing_due', 'no_comparator_last_year',
] as const;
export const TARGET_RULES = ['year_on_year_reduction', 'baseline', 'to_be_agreed'] as const;


export const ReadingStatus = enumOf(READING_STATUSES,
  'Why there is no value: no_survey (no survey this quarter), not_due (reports in another quarter), not_available (data not yet available), in_arrears (reported a quarter in arrears)',
  'not_due');

export const Band = Type.Object(
  {
    min: DecimalNumber('Lower bound of the band, inclusive', 0.9),
    max: DecimalNumber('Upper bound of the band, inclusive; not below min', 1.1),
  },
  { additionalProperties: false, description: 'A band target: inside min..max is on target' },
);

export const RagOverride = Type.Object(
  {
    rag: RagCode,
    reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Why the computed rating is overridden', examples: ['Survey result within the margin of error'] }),
  },
  { additionalProperties: false, description: 'A person\'s rating, kept beside the computed one' },
);

/** The fields a council system may send for one reading. Derived fields are not among them. */
const readingFields = {
  value: Type.Optional(DecimalNumber('The actual value, e.g. 55.76 for 55.76%', 27)),
  numerator: Type.Optional(Nullable(DecimalNumber('Numerator behind the value, where known ("38.5% (10/26)" -> 10)', 10))),
  denominator: Type.Optional(Nullable(DecimalNumber('Denominator behind the value, where known', 26))),
  status: Type.Optional(ReadingStatus),
  target: Type.Optional(Nullable(Type.Union([DecimalNumber('Numeric target for this period', 42), Band], {
    description: "Sets this period's target in the same write (a number or {min, max}); null removes it; omit to leave it",
    examples: [42],
  }))),
  commentary: Type.Optional(Nullable(Text('Management commentary; omit to keep the stored text, null to clear it', '98 starts are expected in Q3.'))),
  ragOverride: Type.Optional(Nullable(describe(RagOverride, 'Override the computed rating; null removes it; omit to keep it', { rag: 'A', reason: 'Survey result within the margin of error' }))),
};

export const ReadingBody = Type.Object(readingFields, {
  additionalProperties: false,
  description: 'Exactly one of value or status. Numerator and denominator go with a value.',
});
export type ReadingBody = Static<typeof ReadingBody>;

export const BatchItem = Type.Object(
  { measure: Code('Measure', 'BBH-02'), period: PeriodString, ...readingFields },
  { additionalProperties: false, description: 'One reading: its measure and period plus the reading fields' },
);
export type BatchItem = Static<typeof BatchItem>;

export const BatchBody = Type.Object(
  {
    readings: Type.Array(BatchItem, { minItems: 1, maxItems: 5000, description: 'Up to 5,000 readings, written all or nothing' }),
    dryRun: Type.Optional(Type.Boolean({ default: false, description: 'Validate and derive, store nothing', examples: [false] })),
  },
  { additionalProperties: false },
);
export type BatchBody = Static<typeof BatchBody>;

export const TargetView = Nullable(Type.Union([
  Type.Number({ description: 'Numeric target', examples: [42] }),
  Type.Object({ min: Type.Number({ description: 'Band minimum', examples: [0.9] }), max: Type.Number({ description: 'Band maximum', examples: [1.1] }) }),
  Type.Object({ rule: enumOf(TARGET_RULES, 'Target rule: year-on-year reduction (last year\'s same-period actual), baseline year, or to be agreed', 'year_on_year_reduction') }),
], { description: "The period's target: a number, a band, a rule, or null when none is set", examples: [42] }));

const num = (description: string, example: number) => Nullable(Type.Number({ description, examples: [example] }));

export const ReadingView = Type.Object({
  measure: Code('Measure', 'BBH-02'),
  period: PeriodString,
  value: num('Actual value; null when a status is reported instead', 27),
  numerator: num('Numerator behind the value', 10),
  denominator: num('Denominator behind the value', 26),
  status: Nullable(ReadingStatus),
  target: TargetView,
  rag: Nullable(describe(RagCode, 'Effective rating: the override if any, else the computed one', 'A')),
  computedRag: Nullable(describe(RagCode, 'Rating the rules give (null with ragReason when not rated)', 'LG')),
  ragOverride: Nullable(describe(RagOverride, "A person's rating with its reason, kept beside the computed one", { rag: 'A', reason: 'Survey result within the margin of error' })),
  ragReason: Nullable(enumOf(NOT_RATED_REASONS, 'Why the rules give no rating, when they do not', 'no_target')),
  variance: num('Signed fraction the rating came from: +0.05 is 5% better than target', -0.357142857143),
  trend: Nullable(enumOf(['improving', 'declining', 'no_change'] as const, 'Direction of travel against the basis period', 'improving')),
  trendComparedWith: Nullable(Type.Object({
    period: PeriodString,
    value: Type.Number({ description: 'Value of the basis period', examples: [27] }),
  }, { description: 'The reading the trend compared with', examples: [{ period: '2018-19-Q2', value: 0 }] })),
  commentary: Nullable(Type.String({ description: 'Management commentary', examples: ['98 starts are expected in Q3.'] })),
  revision: Type.Integer({ description: 'Number of changes written to this reading', examples: [1] }),
  updatedAt: Type.String({ format: 'date-time', description: 'When this reading last changed (stored or derived)', examples: ['2019-10-15T09:30:00.000Z'] }),
  source: Type.String({ description: 'Name of the API key that last wrote it', examples: ['housing-system'] }),
}, { additionalProperties: false, description: 'A KPI reading with its derived RAG status, variance and trend' });
export type ReadingView = Static<typeof ReadingView>;

export const RevisionView = Type.Object({
  revision: Type.Integer({ description: 'Revision number, from 1', examples: [1] }),
  source: Type.String({ description: 'Key name that wrote it', examples: ['housing-system'] }),
  createdAt: Type.String({ format: 'date-time', description: 'When it was written', examples: ['2019-10-15T09:30:00.000Z'] }),
  reading: ReadingView,
}, { additionalProperties: false });

export const BatchResult = Type.Object({
  dryRun: Type.Boolean({ description: 'True when nothing was stored', examples: [false] }),
  written: Type.Integer({ description: 'Readings whose stored fields changed (a new revision)', examples: [100] }),
  unchanged: Type.Integer({ description: 'Readings identical to what was stored', examples: [0] }),
  rederived: Type.Integer({ description: 'Other readings whose rating or trend changed as a result', examples: [3] }),
  readings: Type.Optional(Type.Array(ReadingView, {
    description: 'Each reading as stored (or as it would be, for a dry run), in request order; left out when the request sends `Prefer: return=minimal`',
  })),
}, { additionalProperties: false });

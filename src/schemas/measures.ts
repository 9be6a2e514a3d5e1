import { Type, type Static } from 'typebox';
import { enumOf, Code, Nullable, PeriodString, RagCode } from './common.js';

const str = (description: string, example: string, maxLength = 500) =>
  Type.Optional(Nullable(Type.String({ maxLength, description, examples: [example] })));
const flag = (description: string, example = false) => Type.Optional(Type.Boolean({ description, examples: [example] }));

export const Polarity = enumOf(['higher', 'lower', 'range'] as const, "Which way is good: higher, lower, or inside a band ('range')", 'higher');
export const Frequency = enumOf(['quarterly', 'biannual', 'annual'] as const, 'How often it reports: every quarter, Q2 and Q4, or once a year', 'quarterly');
export const TrendBasis = enumOf(['previous_period', 'same_period_last_year'] as const,
  'What the trend compares with: the period before, or the same period last year (year-to-date and seasonal measures)', 'previous_period');

/** Every field a measure definition has; PUT requires priority, title and polarity. */
const fields = {
  priority: Code('Priority', 'BBH'),
  title: Type.String({ minLength: 1, maxLength: 1000, description: 'Title as printed in the scorecard', examples: ['Number of new Council homes started on site (cumulative)'] }),
  polarity: Polarity,
  reportNumber: str("The report's own row number", '2', 16),
  unit: str('Unit: percent, count, rate, ratio, score, days, currency', 'count', 32),
  headline: flag('Headline KPI', true),
  frequency: Type.Optional(Frequency),
  reportingQuarter: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 4, description: 'The quarter an annual measure reports in (default 4)', examples: [4] }))),
  cumulative: flag('Cumulative (year to date)'),
  rolling12: flag('Rolling 12 months'),
  trendBasis: Type.Optional(TrendBasis),
  managementInfoOnly: flag('Management information only: never rated'),
  equalities: flag('Equalities measure'),
  survey: flag('Survey-based measure'),
  newInYear: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'Financial year the measure was introduced', examples: ['2019-20'] }))),
  portfolioHolder: str('Portfolio-holder lead (PH lead)', "Phillip O'Dell"),
  leadOfficer: str('Officer lead (CSB lead)', 'Paul Walker'),
  directorate: str('Directorate', 'Community'),
  description: str('Definition or notes', 'Note 1: Measure to be defined and targets to be set.', 5000),
};

export const MeasureBody = Type.Object(
  { ...fields, priority: fields.priority, title: fields.title, polarity: fields.polarity },
  { additionalProperties: false, description: 'A measure definition; omitted optional fields take their defaults' },
);
export type MeasureBody = Static<typeof MeasureBody>;

export const MeasurePatch = Type.Object(
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, k === 'priority' || k === 'title' || k === 'polarity' ? Type.Optional(v) : v])) as {
    [K in keyof typeof fields]: ReturnType<typeof Type.Optional<(typeof fields)[K]>>
  },
  { additionalProperties: false, minProperties: 1, description: 'Fields to change; the rest stay as they are' },
);
export type MeasurePatch = Partial<MeasureBody>;

export const MeasureView = Type.Object({
  code: Code('Measure', 'BBH-02'),
  priority: Code('Priority', 'BBH'),
  reportNumber: Nullable(Type.String({ description: "The report's own row number", examples: ['2'] })),
  title: Type.String({ description: 'Title as printed', examples: ['Number of new Council homes started on site (cumulative)'] }),
  polarity: Polarity,
  unit: Nullable(Type.String({ description: 'Unit', examples: ['count'] })),
  headline: Type.Boolean({ description: 'Headline KPI', examples: [true] }),
  frequency: Frequency,
  reportingQuarter: Nullable(Type.Integer({ description: 'Quarter an annual measure reports in', examples: [4] })),
  cumulative: Type.Boolean({ description: 'Cumulative (year to date)', examples: [true] }),
  rolling12: Type.Boolean({ description: 'Rolling 12 months', examples: [false] }),
  trendBasis: TrendBasis,
  managementInfoOnly: Type.Boolean({ description: 'MI only: never rated', examples: [false] }),
  equalities: Type.Boolean({ description: 'Equalities measure', examples: [false] }),
  survey: Type.Boolean({ description: 'Survey-based', examples: [false] }),
  newInYear: Nullable(Type.String({ description: 'Year introduced', examples: ['2019-20'] })),
  portfolioHolder: Nullable(Type.String({ description: 'Portfolio-holder lead', examples: ["Phillip O'Dell"] })),
  leadOfficer: Nullable(Type.String({ description: 'Officer lead', examples: ['Paul Walker'] })),
  directorate: Nullable(Type.String({ description: 'Directorate', examples: ['Community'] })),
  description: Nullable(Type.String({ description: 'Definition or notes', examples: ['Note 1: Measure to be defined and targets to be set.'] })),
  latestRating: Nullable(Type.Object({
    rag: RagCode,
    period: PeriodString,
  }, { description: 'The most recent rated reading: its effective rating and period ("HG (Q4 2018/19)")', examples: [{ rag: 'HG', period: '2018-19-Q4' }] })),
  updatedAt: Type.String({ format: 'date-time', description: 'Last change to the definition', examples: ['2019-10-15T09:30:00.000Z'] }),
}, { additionalProperties: false });
export type MeasureView = Static<typeof MeasureView>;

export const MeasureListQuery = Type.Object({
  priority: Type.Optional(Code('Only this priority\'s', 'BBH')),
  headline: Type.Optional(Type.Boolean({ description: 'Only headline (true) or non-headline (false) measures', examples: [true] })),
  polarity: Type.Optional(Polarity),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text to find in code or title (case-insensitive)', examples: ['homes'] })),
});

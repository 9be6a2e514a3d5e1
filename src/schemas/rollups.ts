import { Type, type Static } from 'typebox';
import { ACTION_STATUSES, RAGS } from '../domain/types.js';
import { ActionStatus } from './actions.js';
import { Code, describe, enumOf, Nullable, PeriodString, RagCode } from './common.js';
import { READING_STATUSES } from './readings.js';

/** Why a measure is not rated in a rollup: its reading's status or not-rated reason, or no reading at all. */
export const LEFT_OUT_REASONS = [
  'no_reading', 'introduced_later', ...READING_STATUSES, 'no_target', 'target_to_be_agreed', 'baseline',
  'management_info_only', 'nothing_due', 'no_comparator_last_year',
] as const;
export type LeftOutReason = typeof LEFT_OUT_REASONS[number];

const int = (description: string, example: number) => Type.Integer({ minimum: 0, description, examples: [example] });
// Every key is always present (zero-filled), so BI tools get stable columns.
const countsOf = <K extends string>(keys: readonly K[], what: (k: K) => string, example: number, description: string) =>
  Type.Object(Object.fromEntries(keys.map((k) => [k, int(what(k), example)])) as Record<K, ReturnType<typeof int>>, { additionalProperties: false, description });

const ReasonCounts = countsOf(LEFT_OUT_REASONS, (k) => `Not rated: ${k.replaceAll('_', ' ')}`, 0,
  "Unrated measures by reason: no reading stored, introduced in a later year, the reading's status, or the rules' reason");
const RatingCounts = countsOf(RAGS, (k) => `Measures rated ${k}`, 3, 'Rated measures by effective rating');
const StatusCounts = countsOf(ACTION_STATUSES, (k) => `Actions whose update is ${k.replaceAll('_', ' ')}`, 2, "Actions by their update's status");

export const RuleView = Type.Object({
  name: Type.String({ description: 'Name of the rule (configurable per deployment: ROLLUP_RULE)', examples: ['mean-score-v1'] }),
  ragWeights: countsOf(RAGS, (k) => `Score of a measure rated ${k}`, 5, 'Score of each rating'),
  actionWeights: Type.Object(Object.fromEntries(ACTION_STATUSES.map((s) => [s, Type.Optional(Type.Number({ description: `Score of an action ${s}; absent = left out`, examples: [4] }))])),
    { additionalProperties: false, description: 'Scores of action statuses; statuses without one are left out of the mean' }),
  green: Type.Number({ description: 'The mean is green at or above this', examples: [4] }),
  amber: Type.Number({ description: 'The mean is amber at or above this (else red)', examples: [2.5] }),
}, { additionalProperties: false, description: 'The rule the statuses came from: mean score of rated measures and weighted actions' });

const Trend = Type.Object({
  improving: int('Measures improving against their basis period', 7),
  declining: int('Measures declining', 5),
  noChange: int('Measures unchanged', 1),
  none: int('Measures with no direction of travel (no value, or nothing to compare with)', 11),
  improvingShare: Nullable(Type.Number({ description: 'improving / (improving + declining + noChange), 4 places; null when none has a trend', examples: [0.4237] })),
  improvingShareOfMoved: Nullable(Type.Number({ description: 'improving / (improving + declining): the share of measures that moved which moved the right way, 4 places', examples: [0.5208] })),
}, { additionalProperties: false, description: 'Direction of travel of the readings counted' });

export const MeasureCounts = Type.Object({
  total: int('Measures of the priority (or council)', 24),
  rated: int('Measures with a rating for the period', 16),
  byRating: RatingCounts,
  notRated: Type.Object({ total: int('Measures without a rating', 8), byReason: ReasonCounts }, { additionalProperties: false, description: 'Measures left out of the score' }),
  trend: Trend,
}, { additionalProperties: false, description: "Measures by their reading's effective rating (overrides included)" });

export const ActionCounts = Type.Object({
  total: int('Actions', 13),
  byStatus: StatusCounts,
  withoutUpdate: int('Actions with no update stored for the period', 0),
}, { additionalProperties: false, description: "Actions by their update's status" });

const Completeness = Type.Object({
  expected: int("Readings due in the period by each measure's frequency (annual: its reporting quarter)", 20),
  received: int('Of those, readings stored (a value or a status)', 19),
  missing: Type.Array(Code('Measure', 'SMN-30'), { description: 'Measures due but with no reading stored' }),
  receivedNotDue: int('Readings stored for measures not due this period (e.g. a survey reporting off-cycle)', 1),
}, { additionalProperties: false, description: 'Readings expected against received' });

export const HeadlineItem = Type.Object({
  code: Code('Measure', 'BBH-02'),
  title: Type.String({ description: 'Measure title', examples: ['Number of new Council homes started on site (cumulative)'] }),
  rag: Nullable(describe(RagCode, 'Rating in the rollup period, if any', 'HR')),
  latestRating: Nullable(Type.Object({ rag: RagCode, period: PeriodString },
    { description: 'Latest rated reading at or before the period ("HG (Q4 2018/19)")', examples: [{ rag: 'HG', period: '2018-19-Q4' }] })),
}, { additionalProperties: false });

export const WorkingMeasure = Type.Object({
  code: Code('Measure', 'BBH-02'),
  period: Nullable(describe(PeriodString, 'Period of the reading used (for a year: the year or one of its quarters); null when none', '2019-20-Q2')),
  rag: Nullable(describe(RagCode, 'Effective rating used', 'HG')),
  counted: Type.Boolean({ description: 'Whether it went into the score', examples: [true] }),
  reason: Nullable(enumOf(LEFT_OUT_REASONS, 'Why it was left out', 'not_due')),
  trend: Nullable(enumOf(['improving', 'declining', 'no_change'] as const, 'Direction of travel', 'improving')),
  due: Type.Boolean({ description: 'Whether a reading is expected this period', examples: [true] }),
}, { additionalProperties: false });

export const WorkingAction = Type.Object({
  code: Code('Action', 'BBH-A03'),
  period: Nullable(describe(PeriodString, 'Quarter of the update used; null when none is stored', '2019-20-Q2')),
  status: Nullable(describe(ActionStatus, 'Status of that update', 'green')),
  counted: Type.Boolean({ description: 'Whether it went into the score', examples: [true] }),
  reason: Nullable(enumOf(['not_weighted', 'no_update_stored'] as const, 'Why it was left out: its status has no weight in the rule, or no update is stored', 'not_weighted')),
}, { additionalProperties: false });

const priorityFields = {
  code: Code('Priority', 'SLE'),
  title: Type.String({ description: 'Priority name', examples: ['A Strong Local Economy for All'] }),
  position: Type.Integer({ description: 'Order in the report', examples: [4] }),
  status: Nullable(enumOf(['green', 'amber', 'red'] as const, 'Overall status by the rule; null when nothing is rated', 'green')),
  score: Nullable(Type.Number({ description: 'Mean score the status came from, 2 places (the status uses the exact mean)', examples: [4.2] })),
  counted: Type.Object({ measures: int('Rated measures in the mean', 2), actions: int('Actions in the mean', 3) }, { additionalProperties: false, description: 'Items the score is the mean of' }),
  leftOut: Type.Object({ measures: int('Measures not rated', 6), actions: int('Actions left out (unweighted status or no update)', 3) }, { additionalProperties: false, description: 'Items not in the score (see working for why)' }),
  measures: MeasureCounts,
  actions: ActionCounts,
  headline: Type.Array(HeadlineItem, { description: 'Headline measures, report order' }),
  completeness: Completeness,
  working: Type.Optional(Type.Object({
    measures: Type.Array(WorkingMeasure, { description: 'Every measure: counted, or left out and why' }),
    actions: Type.Array(WorkingAction, { description: 'Every action: counted, or left out and why' }),
  }, { additionalProperties: false, description: 'The items behind the figures (omitted with ?working=false)' })),
};

export const PriorityRollup = Type.Object(priorityFields, { additionalProperties: false, description: "One priority's rollup" });
export type PriorityRollup = Static<typeof PriorityRollup>;

export const PriorityRollupDoc = Type.Object({ period: PeriodString, rule: RuleView, ...priorityFields },
  { additionalProperties: false, description: "One priority's rollup, with the period and the rule" });

export const CouncilRollup = Type.Object({
  period: PeriodString,
  rule: RuleView,
  overall: Type.Object({
    priorities: Type.Object({
      total: int('Priorities', 5),
      byStatus: Type.Object({ green: int('Green priorities', 1), amber: int('Amber', 4), red: int('Red', 0), unrated: int('With nothing rated', 0) }, { additionalProperties: false, description: 'Priorities by overall status' }),
    }, { additionalProperties: false, description: 'The priorities by overall status (the report: four amber, one green)' }),
    measures: MeasureCounts,
    actions: ActionCounts,
    completeness: Type.Object({ expected: int('Readings due', 80), received: int('Received', 79), missing: int('Due, none stored', 1) }, { additionalProperties: false, description: 'Readings expected against received, council-wide' }),
  }, { additionalProperties: false, description: 'Council-wide totals' }),
  priorities: Type.Array(PriorityRollup, { description: 'Every priority, in report order' }),
}, { additionalProperties: false, description: 'Council-wide rollup for a period' });
export type CouncilRollup = Static<typeof CouncilRollup>;

const working = (dflt: boolean, why: string) => Type.Object({
  working: Type.Optional(Type.Boolean({ default: dflt, description: `Include every measure and action with whether it counted and why not (default ${dflt}: ${why})`, examples: [!dflt] })),
});
export const PriorityRollupQuery = working(true, 'one priority is small');
export const CouncilRollupQuery = working(false, 'the council-wide lists run to every measure; ask one priority for its working, or pass true');

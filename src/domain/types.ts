// Vocabulary shared by the pure domain rules (see /work/shared/DOMAIN.md).
// Decimal quantities cross these boundaries as strings, the way pg returns numeric.

export type Polarity = 'higher' | 'lower' | 'range';

export const RAGS = ['HG', 'LG', 'A', 'LR', 'HR'] as const;
export type Rag = typeof RAGS[number];

export type ReadingStatus = 'no_survey' | 'not_due' | 'not_available' | 'in_arrears';

export type TargetRule = 'year_on_year_reduction' | 'baseline' | 'to_be_agreed';
export type TargetSpec =
  | { kind: 'value'; value: string }
  | { kind: 'band'; min: string; max: string }
  | { kind: 'rule'; rule: TargetRule };

export type Frequency = 'quarterly' | 'biannual' | 'annual';
export type TrendBasis = 'previous_period' | 'same_period_last_year';
export type Trend = 'improving' | 'declining' | 'no_change';

export type NotRatedReason =
  | 'no_target'
  | 'target_to_be_agreed'
  | 'baseline'
  | 'management_info_only'
  | 'status_reported'
  | 'nothing_due'
  | 'no_comparator_last_year';

// Listed as a runtime value too, so a rollup-rule override can be validated against it.
export const ACTION_STATUSES = ['green', 'amber', 'red', 'complete', 'closed', 'not_started', 'no_update'] as const;
export type ActionStatus = typeof ACTION_STATUSES[number];

import { Type } from 'typebox';
import { DecimalNumber, enumOf, Nullable, PeriodString } from './common.js';
import { TARGET_RULES, TargetView } from './readings.js';

export const TargetBody = Type.Object({
  value: Type.Optional(DecimalNumber('A numeric target', 42)),
  min: Type.Optional(DecimalNumber('Band target: lower bound, inclusive (with max)', 5)),
  max: Type.Optional(DecimalNumber('Band target: upper bound, inclusive (with min)', 10)),
  rule: Type.Optional(enumOf(TARGET_RULES, "A rule instead of a number: year-on-year reduction (last year's same-period actual), baseline year (not rated), to be agreed (not rated)", 'year_on_year_reduction')),
  reason: Type.Optional(Nullable(Type.String({ maxLength: 2000, description: 'Why the target was set or revised', examples: ['Revised at mid-year review'] }))),
}, { additionalProperties: false, description: 'Exactly one of: {value}, {min, max}, or {rule}; optionally a reason' });

export const TargetRevision = Type.Object({
  revision: Type.Integer({ description: 'Revision number', examples: [1] }),
  target: TargetView,
  reason: Nullable(Type.String({ description: 'Why', examples: ['Revised at mid-year review'] })),
  source: Type.String({ description: 'Key name that wrote it', examples: ['performance-team'] }),
  createdAt: Type.String({ format: 'date-time', description: 'When', examples: ['2019-10-15T09:30:00.000Z'] }),
}, { additionalProperties: false });

export const TargetItem = Type.Object({
  period: PeriodString,
  target: TargetView,
  reason: Nullable(Type.String({ description: 'Why the target was set or revised', examples: ['Revised at mid-year review'] })),
  revision: Type.Integer({ description: 'Number of times this target was set', examples: [2] }),
  source: Type.String({ description: 'Key name that last set it', examples: ['performance-team'] }),
  updatedAt: Type.String({ format: 'date-time', description: 'When it was last set', examples: ['2019-10-15T09:30:00.000Z'] }),
  history: Type.Array(TargetRevision, { description: 'Every version, oldest first (removals show target null)' }),
}, { additionalProperties: false });

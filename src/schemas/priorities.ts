import { Type, type Static } from 'typebox';
import { Code } from './common.js';

export const PriorityBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 500, description: 'Name of the corporate priority', examples: ['Build a Better Harrow'] }),
  objectives: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2000, description: 'One key objective', examples: ['Keep Harrow clean'] }), {
    maxItems: 100, description: 'Key objectives, in order', examples: [['Keep Harrow clean']],
  })),
}, { additionalProperties: false });
export type PriorityBody = Static<typeof PriorityBody>;

export const PriorityView = Type.Object({
  code: Code('Priority', 'BBH'),
  title: Type.String({ description: 'Name of the corporate priority', examples: ['Build a Better Harrow'] }),
  objectives: Type.Array(Type.String({ description: 'One key objective', examples: ['Keep Harrow clean'] }), { description: 'Key objectives, in order' }),
  position: Type.Integer({ description: 'Order in the report, from 1', examples: [1] }),
  measureCount: Type.Integer({ description: 'Measures under this priority', examples: [24] }),
  actionCount: Type.Integer({ description: 'Ambition Plan actions under this priority', examples: [13] }),
  updatedAt: Type.String({ format: 'date-time', description: 'Last change', examples: ['2019-10-15T09:30:00.000Z'] }),
}, { additionalProperties: false });
export type PriorityView = Static<typeof PriorityView>;

import { Type, type Static } from 'typebox';
import { ACTION_STATUSES } from '../domain/types.js';
import { Code, describe, enumOf, Nullable, Text } from './common.js';

// Updates are quarterly (DOMAIN.md: "per quarter an update text and a status").
export const QUARTER_PATTERN = '^[0-9]{4}-[0-9]{2}-Q[1-4]$';
export const QuarterString = Type.String({
  pattern: QUARTER_PATTERN,
  description: "Financial-year quarter, e.g. '2019-20-Q2' (Q1 = April-June)",
  examples: ['2019-20-Q2'],
});

export const ActionStatus = enumOf(ACTION_STATUSES,
  'Quarterly status as printed in the report: green, amber, red, complete, closed, not_started, or no_update (blank or "-")',
  'amber');

const names = (description: string, example: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200, description: `One ${description}`, examples: [example] }), {
    maxItems: 50, description: `${description[0].toUpperCase()}${description.slice(1)}s, in the order printed`, examples: [[example]],
  });

export const ActionBody = Type.Object({
  priority: Code('Priority', 'BBH'),
  objective: Type.String({ minLength: 1, maxLength: 2000, description: 'The key objective the action serves', examples: ['Define procurement route for Greenhill Way'] }),
  title: Type.String({ minLength: 1, maxLength: 2000, description: '"What we will do"', examples: ['To bring forward proposals for mixed use/housing leisure use on Greenhill Way site.'] }),
  directorates: Type.Optional(names('directorate', 'Community')),
  leads: Type.Optional(names('lead', 'Keith Ferry')),
}, { additionalProperties: false, description: 'An Ambition Plan action; omitted lists are stored empty (PUT replaces)' });
export type ActionBody = Static<typeof ActionBody>;

export const UpdateBody = Type.Object({
  status: ActionStatus,
  text: Text('The update as reported for the quarter (may be empty)', 'Developing brief for consultants'),
}, { additionalProperties: false, description: "One quarter's update of an action" });
export type UpdateBody = Static<typeof UpdateBody>;

const at = (description: string) => Type.String({ format: 'date-time', description, examples: ['2019-10-15T09:30:00.000Z'] });

export const UpdateView = Type.Object({
  action: Code('Action', 'BBH-A03'),
  period: QuarterString,
  status: ActionStatus,
  text: Type.String({ description: 'The update text', examples: ['Developing brief for consultants'] }),
  revision: Type.Integer({ description: 'Number of changes written to this update, from 1', examples: [1] }),
  source: Type.String({ description: 'Name of the API key that last changed it', examples: ['performance-team'] }),
  updatedAt: at('When it last changed'),
}, { additionalProperties: false, description: "An action's update for one quarter" });
export type UpdateView = Static<typeof UpdateView>;

export const UpdateRevisionView = Type.Object({
  revision: Type.Integer({ description: 'Revision number, from 1', examples: [1] }),
  status: ActionStatus,
  text: Type.String({ description: 'The update text of this version', examples: ['Developing brief for consultants'] }),
  source: Type.String({ description: 'Key name that wrote it', examples: ['performance-team'] }),
  createdAt: at('When it was written'),
}, { additionalProperties: false, description: 'One stored version of an update' });

const actionFields = {
  code: Code('Action', 'BBH-A03'),
  priority: Code('Priority', 'BBH'),
  objective: Type.String({ description: 'The key objective the action serves', examples: ['Define procurement route for Greenhill Way'] }),
  title: Type.String({ description: '"What we will do"', examples: ['To bring forward proposals for mixed use/housing leisure use on Greenhill Way site.'] }),
  directorates: Type.Array(Type.String({ description: 'Directorate', examples: ['Community'] }), { description: 'Directorates', examples: [['Community']] }),
  leads: Type.Array(Type.String({ description: 'Lead', examples: ['Keith Ferry'] }), { description: 'Leads (portfolio holders)', examples: [['Keith Ferry']] }),
  updatedAt: at('Last change to the definition'),
};

export const ActionView = Type.Object(actionFields, { additionalProperties: false, description: 'An Ambition Plan action' });
export type ActionView = Static<typeof ActionView>;

export const ActionDetail = Type.Object({
  ...actionFields,
  updates: Type.Array(UpdateView, { description: 'Every quarterly update, oldest first' }),
}, { additionalProperties: false, description: 'An Ambition Plan action with its quarterly updates' });
export type ActionDetail = Static<typeof ActionDetail>;

export const ActionListItem = Type.Object({
  ...actionFields,
  update: Type.Optional(Nullable(describe(UpdateView, "With ?period=: that quarter's update, or null when none is stored", {
    action: 'BBH-A03', period: '2019-20-Q2', status: 'amber', text: 'Developing brief for consultants', revision: 1,
    source: 'seed:report-2019-20-q2', updatedAt: '2019-10-15T09:30:00.000Z',
  }))),
}, { additionalProperties: false, description: 'An action; with ?period= also its update for that quarter' });
export type ActionListItem = Static<typeof ActionListItem>;

export const ActionListQuery = {
  priority: Type.Optional(Code("Only this priority's", 'BBH')),
  period: Type.Optional(QuarterString),
  status: Type.Optional(enumOf(ACTION_STATUSES, "Only actions whose update for ?period= has this status (needs period)", 'amber')),
};

export const ActionPeriodParams = Type.Object({ code: Code('Action', 'BBH-A03'), period: QuarterString });

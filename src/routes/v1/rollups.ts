import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parsePeriod, type Period } from '../../domain/periods.js';
import { AppError, notFound } from '../../errors.js';
import { Code, PeriodString, problemResponses } from '../../schemas/common.js';
import { CouncilRollup, CouncilRollupQuery, PriorityRollupDoc, PriorityRollupQuery } from '../../schemas/rollups.js';
import { buildRollup } from '../../services/rollup-builder.js';
import type { RouteOptions } from './index.js';

function periodOf(period: string): Period {
  const p = parsePeriod(period);
  if (!p) {
    throw new AppError('validation-error', `'${period}' is not a period: use '2019-20' or '2019-20-Q2' (years must be consecutive)`, {
      errors: [{ field: '/params/period', message: 'is not a valid financial-year period' }],
    });
  }
  return p;
}

const HOW = 'Per priority: the overall status and the score it came from (mean of the rated measures\' and weighted ' +
  'actions\' scores, rule and weights in `rule`); measures by effective rating (overrides included) and not-rated ' +
  'measures by reason; direction of travel; actions by status; headline measures with their latest rating at or before ' +
  'the period; completeness (readings due by each measure\'s frequency against received, and which are missing); and, ' +
  'with `working`, every measure and action with whether it counted and why not. ' +
  'A quarter uses each measure\'s reading for that quarter and each action\'s update for it. A year (`2019-20`) uses, per ' +
  'measure, the reading stored for the year itself if there is one, else its latest reading within the year\'s quarters ' +
  'that has a value or a rating (a status-only reading such as not_due only when there is nothing else); per action, its ' +
  'latest update within the year. ETag / If-None-Match give 304 when nothing changed.';

const rollups: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db, rollupRule } }) => {
  app.get('/rollups/:period', {
    config: { scope: 'read' },
    schema: {
      tags: ['rollups'], summary: 'Council-wide rollup for a quarter or year: every priority, and the totals', security: [{ bearerAuth: [] }, {}],
      description: `${HOW} Council-wide (\`overall\`): priorities by status, totals by rating and reason, share of measures improving.`,
      params: Type.Object({ period: PeriodString }), querystring: CouncilRollupQuery,
      response: { 200: CouncilRollup, ...problemResponses(400, 401) },
    },
  }, async (req) => {
    const out = await buildRollup(db, rollupRule, { period: periodOf(req.params.period), priority: null, working: req.query.working ?? false });
    return { period: out!.period, rule: rollupRule, overall: out!.overall, priorities: out!.priorities };
  });

  app.get('/priorities/:code/rollups/:period', {
    config: { scope: 'read' },
    schema: {
      tags: ['rollups'], summary: "One priority's rollup for a quarter or year", security: [{ bearerAuth: [] }, {}],
      description: HOW,
      params: Type.Object({ code: Code('Priority', 'SLE'), period: PeriodString }), querystring: PriorityRollupQuery,
      response: { 200: PriorityRollupDoc, ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const period = periodOf(req.params.period);
    const out = await buildRollup(db, rollupRule, { period, priority: req.params.code, working: req.query.working ?? true });
    if (!out) throw notFound(`Priority '${req.params.code}'`);
    return { period: out.period, rule: rollupRule, ...out.priorities[0] };
  });
};

export default rollups;

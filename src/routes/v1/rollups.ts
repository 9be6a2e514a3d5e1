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

/** A counting semaphore: at most `n` holders; the rest wait in order. */
function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async (): Promise<() => void> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    let done = false;
    return () => { if (!done) { done = true; release(); } };
  };
}

/**
 * Council-wide rollups being built and sent at once, per instance. A national one is a
 * ~4 MB body built from 30,000 headline rows (tens of MB while it is built and serialised);
 * ten at once on two cores were each ten times slower and took the process past 500 MB.
 * Identical requests already share one computation (the response cache's single-flight);
 * this bounds different ones, and every one when the cache is off.
 */
const COUNCIL_WIDE_AT_ONCE = 2;

const rollups: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db, rollupRule } }) => {
  const councilWide = semaphore(COUNCIL_WIDE_AT_ONCE);
  const held = new WeakMap<object, () => void>();
  const releaseHeld = async (req: object) => { held.get(req)?.(); };
  app.get('/rollups/:period', {
    config: { scope: 'read' },
    onResponse: releaseHeld,
    schema: {
      tags: ['rollups'], summary: 'Council-wide rollup for a quarter or year: every priority, and the totals', security: [{ bearerAuth: [] }, {}],
      description: `${HOW} Council-wide (\`overall\`): priorities by status, totals by rating and reason, share of measures improving.`,
      params: Type.Object({ period: PeriodString }), querystring: CouncilRollupQuery,
      response: { 200: CouncilRollup, ...problemResponses(400, 401) },
    },
  }, async (req, reply) => {
    const period = periodOf(req.params.period);
    // Held until the response is written (or the connection closes): serialising is part of the cost.
    const release = await councilWide();
    if (req.raw.destroyed || reply.raw.destroyed || req.raw.socket?.destroyed) {
      // The client went away while this waited (its onResponse has run already): nothing to
      // build, and nobody to answer (not an error worth a log line per request).
      release();
      reply.hijack();
      reply.raw.destroy();
      return;
    }
    held.set(req, release);
    reply.raw.once('close', release);
    let out;
    try {
      out = await buildRollup(db, rollupRule, { period, priority: null, working: req.query.working ?? false });
    } catch (err) {
      release();
      throw err;
    }
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

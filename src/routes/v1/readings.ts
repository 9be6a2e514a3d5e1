import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { inTransaction } from '../../db/transaction.js';
import { parsePeriod, periodKey } from '../../domain/periods.js';
import { AppError, notFound, type FieldError } from '../../errors.js';
import { sourceOf } from '../../plugins/auth.js';
import { decodeCursor, page } from '../../repositories/cursor.js';
import { getMeasureRow } from '../../repositories/measures.js';
import { etagOf, readingRevisions, readingViews } from '../../repositories/readings.js';
import { CodeParams, CodePeriodParams, ListOf, ListQuery, problemResponses } from '../../schemas/common.js';
import { ReadingBody, ReadingView, RevisionView } from '../../schemas/readings.js';
import { toReadingChange } from '../../services/reading-writes.js';
import { applyChanges, lockMeasures } from '../../services/scorecard-writer.js';
import type { RouteOptions } from './index.js';

function keyOf(period: string): number {
  const p = parsePeriod(period);
  if (!p) {
    throw new AppError('validation-error', `'${period}' is not a period: use '2019-20' or '2019-20-Q2' (years must be consecutive)`, {
      errors: [{ field: '/params/period', message: 'is not a valid financial-year period' }],
    });
  }
  return periodKey(p);
}

/** A readings cursor holds a period; one that does not parse was not issued by this API. */
function cursorKey(period: string): number {
  const p = parsePeriod(period);
  if (!p) {
    throw new AppError('validation-error', 'cursor is not one this API issued; start again without it', {
      errors: [{ field: '/querystring/cursor', message: 'is not a valid cursor' }],
    });
  }
  return periodKey(p);
}

const readings: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  const measureOf = async (code: string) => {
    const m = await getMeasureRow(db, code);
    if (!m) throw notFound(`Measure '${code}'`);
    return m;
  };

  app.get('/measures/:code/readings', {
    config: { scope: 'read' },
    schema: {
      tags: ['readings'], summary: "A measure's readings in period order", security: [{ bearerAuth: [] }, {}],
      params: CodeParams('Measure', 'BBH-02'), querystring: Type.Object(ListQuery),
      response: { 200: ListOf(ReadingView, 'readings'), ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const m = await measureOf(req.params.code);
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['string']) ?? [null];
    const rows = await readingViews(db, m, { afterKey: after === null ? null : cursorKey(after as string), limit: limit + 1 });
    return page(rows, limit, (r) => [r.period]);
  });

  app.get('/measures/:code/readings/:period', {
    config: { scope: 'read' },
    schema: {
      tags: ['readings'], summary: 'One reading with its derived rating and trend (ETag for If-Match)', security: [{ bearerAuth: [] }, {}],
      params: CodePeriodParams('Measure', 'BBH-02'),
      response: { 200: ReadingView, ...problemResponses(400, 401, 404) },
    },
  }, async (req, reply) => {
    const m = await measureOf(req.params.code);
    const [view] = await readingViews(db, m, { key: keyOf(req.params.period) });
    if (!view) throw notFound(`Reading of '${m.code}' for ${req.params.period}`);
    reply.header('etag', etagOf(view));
    return view;
  });

  app.get('/measures/:code/readings/:period/revisions', {
    config: { scope: 'read' },
    schema: {
      tags: ['readings'], summary: 'Every stored version of a reading: who wrote it and when', security: [{ bearerAuth: [] }, {}],
      params: CodePeriodParams('Measure', 'BBH-02'), querystring: Type.Object(ListQuery),
      response: { 200: ListOf(RevisionView, 'revisions'), ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const m = await measureOf(req.params.code);
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['number']) ?? [null];
    const rows = await readingRevisions(db, m, keyOf(req.params.period), after as number | null, limit + 1);
    if (!rows.length && after === null) throw notFound(`Reading of '${m.code}' for ${req.params.period}`);
    return page(rows, limit, (r) => [r.revision]);
  });

  app.put('/measures/:code/readings/:period', {
    config: { scope: 'write' },
    schema: {
      tags: ['readings'],
      summary: 'Write a reading (write scope); rating, variance and trend are derived and stored with it',
      description: 'Idempotent: the same body again changes nothing and makes no new revision. Send If-Match with the ' +
        "reading's ETag to refuse the write (412) when someone else changed it first. Readings that compare with this " +
        'one (the next period, the same period next year) are re-derived in the same transaction.',
      security: [{ bearerAuth: [] }], params: CodePeriodParams('Measure', 'BBH-02'), body: ReadingBody,
      headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 200, description: 'ETag from a GET of this reading' })) }),
      response: { 200: ReadingView, 201: ReadingView, ...problemResponses(400, 401, 403, 404, 412, 413, 415) },
    },
  }, async (req, reply) => {
    keyOf(req.params.period); // a bad period in the path is named /params/period, not /body/period
    const errors: FieldError[] = [];
    const change = toReadingChange({ ...req.body, measure: req.params.code, period: req.params.period }, 0, '/body', errors);
    if (errors.length) throw new AppError('validation-error', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
    const ifMatch = req.headers['if-match'];

    const { view, created } = await inTransaction(db, async (trx) => {
      const locked = await lockMeasures(trx, [req.params.code]);
      const m = locked.get(req.params.code);
      if (!m) throw notFound(`Measure '${req.params.code}'`);
      const [current] = await readingViews(trx, m, { key: change.key });
      if (ifMatch !== undefined) {
        const ok = ifMatch.trim() === '*' ? current !== undefined : current !== undefined && ifMatch.split(',').map((s) => s.trim()).includes(etagOf(current));
        if (!ok) throw new AppError('precondition-failed', 'The reading changed since you read it (If-Match does not match its ETag); read it again');
      }
      const out = await applyChanges(trx, locked, { readings: [change] }, { source: sourceOf(req) });
      return { view: out.views[0]!, created: current === undefined };
    });
    reply.code(created ? 201 : 200).header('etag', etagOf(view));
    return view;
  });
};

export default readings;

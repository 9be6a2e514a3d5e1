import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { inTransaction } from '../../db/transaction.js';
import { notFound } from '../../errors.js';
import { sourceOf } from '../../plugins/auth.js';
import { decodeCursor, page } from '../../repositories/cursor.js';
import { getMeasure, listMeasures } from '../../repositories/measures.js';
import { CodeParams, ListOf, ListQuery, problemResponses } from '../../schemas/common.js';
import { MeasureBody, MeasureListQuery, MeasurePatch, MeasureView } from '../../schemas/measures.js';
import { writeMeasure } from '../../services/measure-writer.js';
import type { RouteOptions } from './index.js';

const measures: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  const params = CodeParams('Measure', 'BBH-02');

  app.get('/measures', {
    config: { scope: 'read' },
    schema: {
      tags: ['measures'], summary: 'List measures (filter by priority, headline, polarity, text)', security: [{ bearerAuth: [] }, {}],
      querystring: Type.Object({ ...MeasureListQuery.properties, ...ListQuery }),
      response: { 200: ListOf(MeasureView, 'measures'), ...problemResponses(400, 401) },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['number']) ?? [null];
    const rows = await listMeasures(db, req.query, after as number | null, limit + 1);
    const { items, nextCursor } = page(rows, limit, (r) => [r.id]);
    return { items: items.map(({ id: _id, ...m }) => m), nextCursor };
  });

  app.get('/measures/:code', {
    config: { scope: 'read' },
    schema: {
      tags: ['measures'], summary: 'One measure with its latest rated reading', security: [{ bearerAuth: [] }, {}],
      params, response: { 200: MeasureView, ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const m = await getMeasure(db, req.params.code);
    if (!m) throw notFound(`Measure '${req.params.code}'`);
    return m;
  });

  app.put('/measures/:code', {
    config: { scope: 'admin' },
    schema: {
      tags: ['measures'], summary: 'Create or replace a measure (admin); a rule change re-derives its readings',
      security: [{ bearerAuth: [] }], params, body: MeasureBody,
      response: { 200: MeasureView, 201: MeasureView, ...problemResponses(400, 401, 403, 413, 415) },
    },
  }, async (req, reply) => {
    const { created } = await inTransaction(db, (trx) => writeMeasure(trx, req.params.code, { put: req.body }, sourceOf(req)));
    reply.code(created ? 201 : 200);
    return (await getMeasure(db, req.params.code))!;
  });

  app.patch('/measures/:code', {
    config: { scope: 'admin' },
    schema: {
      tags: ['measures'], summary: 'Change some fields of a measure (admin)', security: [{ bearerAuth: [] }],
      params, body: MeasurePatch,
      response: { 200: MeasureView, ...problemResponses(400, 401, 403, 404, 413, 415) },
    },
  }, async (req) => {
    await inTransaction(db, (trx) => writeMeasure(trx, req.params.code, { patch: req.body as never }, sourceOf(req)));
    return (await getMeasure(db, req.params.code))!;
  });
};

export default measures;

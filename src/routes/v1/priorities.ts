import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../errors.js';
import { decodeCursor, page } from '../../repositories/cursor.js';
import { getPriority, listPriorities, upsertPriority } from '../../repositories/priorities.js';
import { CodeParams, ListOf, ListQuery, problemResponses } from '../../schemas/common.js';
import { PriorityBody, PriorityView } from '../../schemas/priorities.js';
import type { RouteOptions } from './index.js';

const priorities: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  app.get('/priorities', {
    config: { scope: 'read' },
    schema: {
      tags: ['priorities'], summary: 'List the corporate priorities in report order', security: [{ bearerAuth: [] }, {}],
      querystring: Type.Object(ListQuery),
      response: { 200: ListOf(PriorityView, 'priorities'), ...problemResponses(400, 401) },
    },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const after = decodeCursor(req.query.cursor, ['number', 'number']) as [number, number] | null;
    const rows = await listPriorities(db, after, limit + 1);
    const { items, nextCursor } = page(rows, limit, (r) => [r.position, r.id]);
    return { items: items.map(({ id: _id, ...p }) => p), nextCursor };
  });

  app.get('/priorities/:code', {
    config: { scope: 'read' },
    schema: {
      tags: ['priorities'], summary: 'One priority with its objectives', security: [{ bearerAuth: [] }, {}],
      params: CodeParams('Priority', 'BBH'),
      response: { 200: PriorityView, ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const p = await getPriority(db, req.params.code);
    if (!p) throw notFound(`Priority '${req.params.code}'`);
    return p;
  });

  app.put('/priorities/:code', {
    config: { scope: 'admin' },
    schema: {
      tags: ['priorities'], summary: 'Create or replace a priority (admin)', security: [{ bearerAuth: [] }],
      params: CodeParams('Priority', 'BBH'), body: PriorityBody,
      response: { 200: PriorityView, 201: PriorityView, ...problemResponses(400, 401, 403, 413, 415) },
    },
  }, async (req, reply) => {
    const { created } = await upsertPriority(db, req.params.code, req.body);
    reply.code(created ? 201 : 200);
    return (await getPriority(db, req.params.code))!;
  });
};

export default priorities;

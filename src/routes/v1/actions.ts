import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { inTransaction } from '../../db/transaction.js';
import { invalid, notFound } from '../../errors.js';
import { sourceOf } from '../../plugins/auth.js';
import { actionUpdates, getAction, listActions, updateRevisions } from '../../repositories/actions.js';
import { decodeCursor, page } from '../../repositories/cursor.js';
import {
  ActionBody, ActionDetail, ActionListItem, ActionListQuery, ActionPeriodParams, ActionView, UpdateBody, UpdateRevisionView, UpdateView,
} from '../../schemas/actions.js';
import { CodeParams, ListOf, ListQuery, problemResponses } from '../../schemas/common.js';
import { quarterKey, writeAction, writeActionUpdate } from '../../services/action-writer.js';
import type { RouteOptions } from './index.js';

const actions: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  const params = CodeParams('Action', 'BBH-A03');
  const actionOf = async (code: string) => {
    const a = await getAction(db, code);
    if (!a) throw notFound(`Action '${code}'`);
    return a;
  };

  app.get('/actions', {
    config: { scope: 'read' },
    schema: {
      tags: ['actions'], summary: 'List Ambition Plan actions (filter by priority; by status in a quarter)', security: [{ bearerAuth: [] }, {}],
      description: 'With `period`, each item carries its update for that quarter (null when none is stored). `status` ' +
        'needs `period` and matches the stored update\'s status exactly (actions with no update stored match no status). ' +
        'Example: `?period=2019-20-Q2&status=amber`.',
      querystring: Type.Object({ ...ActionListQuery, ...ListQuery }),
      response: { 200: ListOf(ActionListItem, 'actions'), ...problemResponses(400, 401) },
    },
  }, async (req) => {
    const { priority, period, status } = req.query;
    if (status !== undefined && period === undefined) throw invalid('/querystring/status', 'needs period: a status belongs to one quarter\'s update');
    const key = period === undefined ? undefined : quarterKey(period, '/querystring/period');
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['number']) ?? [null];
    const rows = await listActions(db, { priority, key, status }, after as number | null, limit + 1);
    const { items, nextCursor } = page(rows, limit, (r) => [r.id]);
    return { items: items.map(({ id: _id, ...a }) => a), nextCursor };
  });

  app.get('/actions/:code', {
    config: { scope: 'read' },
    schema: {
      tags: ['actions'], summary: 'One action with all its quarterly updates', security: [{ bearerAuth: [] }, {}],
      params, response: { 200: ActionDetail, ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const { id, ...a } = await actionOf(req.params.code);
    return { ...a, updates: await actionUpdates(db, { id, code: a.code }) };
  });

  app.put('/actions/:code', {
    config: { scope: 'admin' },
    schema: {
      tags: ['actions'], summary: 'Create or replace an action (admin)', security: [{ bearerAuth: [] }],
      description: 'Idempotent: the same body again changes nothing. Its updates are kept when the definition changes.',
      params, body: ActionBody,
      response: { 200: ActionView, 201: ActionView, ...problemResponses(400, 401, 403, 413, 415) },
    },
  }, async (req, reply) => {
    const { created } = await inTransaction(db, (trx) => writeAction(trx, req.params.code, req.body));
    reply.code(created ? 201 : 200);
    const { id: _id, ...a } = await actionOf(req.params.code);
    return a;
  });

  app.get('/actions/:code/updates/:period', {
    config: { scope: 'read' },
    schema: {
      tags: ['actions'], summary: "An action's update for one quarter", security: [{ bearerAuth: [] }, {}],
      params: ActionPeriodParams, response: { 200: UpdateView, ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const key = quarterKey(req.params.period);
    const a = await actionOf(req.params.code);
    const [u] = await actionUpdates(db, a, key);
    if (!u) throw notFound(`Update of '${a.code}' for ${req.params.period}`);
    return u;
  });

  app.put('/actions/:code/updates/:period', {
    config: { scope: 'write' },
    schema: {
      tags: ['actions'], summary: "Write an action's update for a quarter (write scope)", security: [{ bearerAuth: [] }],
      description: 'Every change is kept as a revision (see .../revisions). Idempotent: the same status and text again ' +
        'returns the stored update (200) and makes no new revision. Concurrent writers of one action serialise on its row lock.',
      params: ActionPeriodParams, body: UpdateBody,
      response: { 200: UpdateView, 201: UpdateView, ...problemResponses(400, 401, 403, 404, 413, 415) },
    },
  }, async (req, reply) => {
    const key = quarterKey(req.params.period);
    const { view, created } = await inTransaction(db, (trx) => writeActionUpdate(trx, req.params.code, key, req.body, sourceOf(req)));
    reply.code(created ? 201 : 200);
    return view;
  });

  app.get('/actions/:code/updates/:period/revisions', {
    config: { scope: 'read' },
    schema: {
      tags: ['actions'], summary: 'Every stored version of an update: who wrote it and when', security: [{ bearerAuth: [] }, {}],
      params: ActionPeriodParams, querystring: Type.Object(ListQuery),
      response: { 200: ListOf(UpdateRevisionView, 'revisions'), ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const key = quarterKey(req.params.period);
    const a = await actionOf(req.params.code);
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['number']) ?? [null];
    const rows = await updateRevisions(db, a.id, key, after as number | null, limit + 1);
    if (!rows.length && after === null) throw notFound(`Update of '${a.code}' for ${req.params.period}`);
    return page(rows, limit, (r) => [r.revision]);
  });
};

export default actions;

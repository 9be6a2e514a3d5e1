import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { inTransaction } from '../../db/transaction.js';
import { formatPeriod, periodFromKey } from '../../domain/periods.js';
import type { TargetSpec } from '../../domain/types.js';
import { AppError, notFound, type FieldError } from '../../errors.js';
import { sourceOf } from '../../plugins/auth.js';
import { decodeCursor, page } from '../../repositories/cursor.js';
import { getMeasureRow } from '../../repositories/measures.js';
import { targetSpecOf, targetView, type Executor } from '../../repositories/readings.js';
import { CodeParams, CodePeriodParams, ListOf, ListQuery, problemResponses } from '../../schemas/common.js';
import { TargetBody, TargetItem } from '../../schemas/targets.js';
import { periodKeyOf, targetSpecFrom } from '../../services/reading-writes.js';
import { applyChanges, lockMeasures } from '../../services/scorecard-writer.js';
import type { RouteOptions } from './index.js';

async function targetItems(db: Executor, measureId: number, opts: { key?: number; afterKey?: number | null; limit?: number }) {
  let q = db.selectFrom('targets').selectAll().where('measure_id', '=', measureId).orderBy('period_key');
  if (opts.key !== undefined) q = q.where('period_key', '=', opts.key);
  if (opts.afterKey != null) q = q.where('period_key', '>', opts.afterKey);
  if (opts.limit) q = q.limit(opts.limit);
  const rows = await q.execute();
  if (!rows.length) return [];
  const revs = await db.selectFrom('target_revisions').selectAll().where('measure_id', '=', measureId)
    .where('period_key', 'in', rows.map((r) => r.period_key)).orderBy('revision').execute();
  return rows.map((t) => ({
    key: t.period_key,
    period: formatPeriod(periodFromKey(t.period_key)),
    target: targetView(targetSpecOf(t)),
    reason: t.reason,
    revision: t.revision,
    source: t.source,
    updatedAt: t.updated_at.toISOString(),
    history: revs.filter((r) => r.period_key === t.period_key).map((r) => {
      const snap = r.snapshot as { target: TargetSpec | null; reason: string | null };
      return { revision: r.revision, target: targetView(snap.target), reason: snap.reason, source: r.source, createdAt: r.created_at.toISOString() };
    }),
  }));
}

const targets: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db } }) => {
  app.get('/measures/:code/targets', {
    config: { scope: 'read' },
    schema: {
      tags: ['targets'], summary: "A measure's targets by period, each with its history", security: [{ bearerAuth: [] }, {}],
      params: CodeParams('Measure', 'BBH-02'), querystring: Type.Object(ListQuery),
      response: { 200: ListOf(TargetItem, 'targets'), ...problemResponses(400, 401, 404) },
    },
  }, async (req) => {
    const m = await getMeasureRow(db, req.params.code);
    if (!m) throw notFound(`Measure '${req.params.code}'`);
    const limit = req.query.limit ?? 100;
    const [after] = decodeCursor(req.query.cursor, ['number']) ?? [null];
    const rows = await targetItems(db, m.id, { afterKey: after as number | null, limit: limit + 1 });
    const { items, nextCursor } = page(rows, limit, (r) => [r.key]);
    return { items: items.map(({ key: _k, ...t }) => t), nextCursor };
  });

  app.put('/measures/:code/targets/:period', {
    config: { scope: 'admin' },
    schema: {
      tags: ['targets'], summary: "Set or revise a period's target (admin); the period's reading is re-rated",
      security: [{ bearerAuth: [] }], params: CodePeriodParams('Measure', 'BBH-02'), body: TargetBody,
      response: { 200: TargetItem, ...problemResponses(400, 401, 403, 404, 413, 415) },
    },
  }, async (req) => {
    const errors: FieldError[] = [];
    const key = periodKeyOf(req.params.period, '/params/period', errors);
    const b = req.body;
    const forms = [b.value !== undefined, b.min !== undefined || b.max !== undefined, b.rule !== undefined].filter(Boolean).length;
    if (forms !== 1) errors.push({ field: '/body', message: 'send exactly one of {value}, {min, max} or {rule}' });
    else if ((b.min === undefined) !== (b.max === undefined)) errors.push({ field: '/body', message: 'a band needs both min and max' });
    const spec = errors.length ? null : targetSpecFrom(b.rule ? { rule: b.rule } : b.value !== undefined ? b.value : { min: b.min, max: b.max }, '/body', errors);
    if (errors.length) throw new AppError('validation-error', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

    // Read back inside the transaction: a concurrent write could remove the target after commit.
    const item = await inTransaction(db, async (trx) => {
      const locked = await lockMeasures(trx, [req.params.code]);
      const m = locked.get(req.params.code);
      if (!m) throw notFound(`Measure '${req.params.code}'`);
      await applyChanges(trx, locked, { targets: [{ index: 0, measure: m.code, key, spec, reason: b.reason ?? null }] }, { source: sourceOf(req) });
      return (await targetItems(trx, m.id, { key }))[0];
    });
    const { key: _k, ...view } = item;
    return view;
  });
};

export default targets;

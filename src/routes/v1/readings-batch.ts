import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { inTransaction } from '../../db/transaction.js';
import type { FieldError } from '../../errors.js';
import { sourceOf } from '../../plugins/auth.js';
import { MINIMAL_APPLIED, prefersMinimal } from '../../plugins/prefer.js';
import { claimIdempotencyKey, requestHash, storeIdempotentResponse } from '../../repositories/idempotency.js';
import { problemResponses } from '../../schemas/common.js';
import { BatchBody, BatchResult, ReadingView } from '../../schemas/readings.js';
import { jsonArrayBytes } from '../../json-bytes.js';
import { toReadingChange } from '../../services/reading-writes.js';
import type { Database } from '../../db/database.js';
import { applyChanges, lockMeasures, PARALLEL_READ_FROM, unknownMeasures, unprocessable, type WriteOutcome } from '../../services/scorecard-writer.js';
import { abortWhenClosed } from '../../services/write-gate.js';
import type { RouteOptions } from './index.js';

// The answer's readings, encoded a slice at a time (src/json-bytes.ts) with this schema's serializer.
const ReadingViews = Type.Array(ReadingView) as unknown as Record<string, unknown>;

// The answer's own headers, for the OpenAPI document (@fastify/swagger reads `headers` in a response schema).
const BATCH_HEADERS = {
  'Preference-Applied': { type: 'string', enum: ['return=minimal'], description: 'Present when the answer is the counts only (`Prefer: return=minimal` was honoured, or the stored answer being replayed was minimal)' },
  'Idempotent-Replayed': { type: 'string', enum: ['true'], description: 'Present when this is the stored answer to an earlier request with the same Idempotency-Key' },
};

const batch: FastifyPluginAsyncTypebox<RouteOptions> = async (app, { ctx: { db, writeGate, config, measures: directory } }) => {
  // A large batch, when no other batch is writing, reads half its context on a second
  // connection, taken before its transaction and its locks: one taken under the locks could
  // wait for a pool that other writers, waiting for those locks, have filled. Gated batches
  // take two connections each at most.
  const parallel = writeGate.concurrency * 2 < config.DB_POOL_MAX;
  app.post('/readings/batch', {
    config: { scope: 'write' },
    schema: {
      tags: ['readings'],
      summary: 'Write up to 5,000 readings at once, all or nothing (write scope)',
      description: 'Every item is validated first; any invalid item, unknown measure, or the same measure and period twice ' +
        'makes the whole batch 422 with each failing index, and nothing is written. Send an Idempotency-Key header to make ' +
        'retries safe: the same key and body returns the stored response; the same key with another body is 422; while the ' +
        'first is still running, 409. dryRun returns what would be stored, derived values included. `Prefer: return=minimal` ' +
        'answers with the counts only, without `readings` (for bulk loaders that need no echo of each reading, ~350 bytes apiece), ' +
        'and says so in `Preference-Applied`; a replay returns the answer as first stored.',
      security: [{ bearerAuth: [] }],
      headers: Type.Object({
        'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Client-chosen key that makes a retry safe', examples: ['q2-2019-20-housing-1'] })),
        prefer: Type.Optional(Type.String({ description: 'RFC 7240; `return=minimal` leaves the readings out of the answer', examples: ['return=minimal'] })),
      }),
      body: BatchBody,
      response: { 200: { ...BatchResult, headers: BATCH_HEADERS }, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
    },
  }, async (req, reply) => {
    const { readings, dryRun = false } = req.body;
    const minimal = prefersMinimal(req.headers.prefer);
    const errors: FieldError[] = [];
    const seen = new Map<string, number>();
    const changes = readings.map((item, i) => {
      const c = toReadingChange(item, i, `/body/readings/${i}`, errors);
      const k = `${item.measure}\u0000${item.period}`;
      if (seen.has(k)) errors.push({ field: `/body/readings/${i}`, message: `same measure and period as item ${seen.get(k)}` });
      else seen.set(k, i);
      return c;
    });
    if (errors.length) throw unprocessable(errors, errors.length === 1 ? 'item' : 'items');

    const idemKey = req.headers['idempotency-key'];
    const hash = idemKey ? requestHash(req.body) : '';
    const countsOf = (res: WriteOutcome) => ({ dryRun, written: res.written, unchanged: res.unchanged, rederived: res.rederived });
    // A full answer (~350 bytes a reading) as bytes built a slice at a time (src/json-bytes.ts):
    // the counts by the route's serializer, the readings after them by their array's.
    const encodeFull = (res: WriteOutcome): Buffer => {
      const head = reply.serialize(countsOf(res)) as string;
      const serializeViews = reply.compileSerializationSchema(ReadingViews) as (views: unknown) => string;
      return jsonArrayBytes(res.views, serializeViews, { before: `${head.slice(0, -1)},"readings":`, after: '}' });
    };
    const write = (parallelRead?: Database) => inTransaction(db, async (trx) => {
      if (idemKey && req.apiKey) {
        const stored = await claimIdempotencyKey(trx, req.apiKey.id, idemKey, hash);
        if (stored) return { replay: true as const, ...stored };
      }
      const measures = await lockMeasures(trx, changes.map((c) => c.measure), directory);
      const missing = unknownMeasures(measures, changes, (i) => `/body/readings/${i}/measure`);
      if (missing.length) throw unprocessable(missing, missing.length === 1 ? 'item' : 'items');
      const res = await applyChanges(trx, measures, { readings: changes }, { source: sourceOf(req), dryRun, parallelRead, directory, views: !minimal });
      if (!idemKey || !req.apiKey || dryRun) return { replay: false as const, status: 200, body: minimal ? countsOf(res) : res };
      // Stored with the writes, so encoded now; the same bytes are then the answer.
      const body = minimal ? countsOf(res) : encodeFull(res);
      await storeIdempotentResponse(trx, req.apiKey.id, idemKey, hash, 200, body);
      return { replay: false as const, status: 200, body };
    });
    // Split only while no other batch is writing: the split shortens one batch (~2 ms per 1,000
    // readings) but costs PostgreSQL ~1 ms more CPU, which concurrent batches need.
    const out = await writeGate.run(
      () => (parallel && changes.length >= PARALLEL_READ_FROM && writeGate.running === 1
        ? db.connection().execute((reader) => write(reader)) : write()),
      abortWhenClosed(reply.raw),
    );
    if (out.replay) reply.header('idempotent-replayed', 'true');
    // A replay is the answer as first stored, minimal or not, whatever this retry prefers.
    if (out.replay ? !('readings' in (out.body as object)) : minimal) reply.headers(MINIMAL_APPLIED);
    if (out.replay || minimal) return out.body as never;
    // A full answer stored with an Idempotency-Key is already bytes. Otherwise it is encoded now,
    // after the commit, and sent at once: encoded while the rows were being stored, it lived
    // through the insert and the commit, was promoted, and waited for a full collection.
    const bytes = Buffer.isBuffer(out.body) ? out.body : encodeFull(out.body as WriteOutcome);
    return reply.type('application/json; charset=utf-8').send(bytes as never);
  });
};

export default batch;

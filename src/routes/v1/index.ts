import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.js';
import { registerCaching } from '../../plugins/caching.js';
import { registerCompression } from '../../plugins/compression.js';
import { registerResponseCache } from '../../plugins/response-cache.js';
import actions from './actions.js';
import measures from './measures.js';
import priorities from './priorities.js';
import readings from './readings.js';
import readingsBatch from './readings-batch.js';
import readingsExport from './readings-export.js';
import rollups from './rollups.js';
import targets from './targets.js';

export interface RouteOptions { ctx: AppContext }

/** Version 1 of the API. A v2 would add a sibling folder and reuse the schemas. */
export default async function v1(app: FastifyInstance, { ctx }: RouteOptions) {
  registerCaching(app, ctx.config.READ_ACCESS);
  registerResponseCache(app, ctx.changes, ctx.responseCacheBytes);
  // After both: the ETag and the cache see the identity body; this encodes what is sent.
  registerCompression(app);
  for (const plugin of [priorities, measures, targets, readings, readingsBatch, readingsExport, actions, rollups]) {
    await app.register(plugin, { ctx });
  }
}

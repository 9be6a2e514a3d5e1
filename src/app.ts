import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { ChangeFeed } from './db/change-feed.js';
import { MeasureDirectory } from './repositories/measure-directory.js';
import type { Database } from './db/database.js';
import { registerAuth } from './plugins/auth.js';
import { clientErrorHandler, registerErrorHandling, sendProblem } from './plugins/errors.js';
import { registerJsonBodyParser } from './plugins/json-body.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerProtections } from './plugins/protections.js';
import { registerValidation } from './plugins/validation.js';
import { problemOf } from './errors.js';
import healthRoutes from './routes/health.js';
import v1Routes from './routes/v1/index.js';
import { loggerOptions } from './logger.js';
import { parseRollupRule, DEFAULT_ROLLUP_RULE, type RollupRule } from './domain/rollup.js';
import { WriteGate } from './services/write-gate.js';

export const API_VERSION = '1.0.0';
const MAX_PARAM_LENGTH = 200;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface AppDeps {
  config: Config;
  db: Database;
  /** The process logger, so start-up and request lines share one stream; tests omit it. */
  logger?: Logger;
  /** Notifications of committed changes; with it, GET responses are cached until a change. */
  changes?: ChangeFeed;
}

export type App = FastifyInstance;

export interface AppContext {
  db: Database;
  config: Config;
  rollupRule: RollupRule;
  changes?: ChangeFeed;
  /** Bounds concurrent batch write transactions in this instance (WRITE_CONCURRENCY). */
  writeGate: WriteGate;
  /** Response cache size in bytes (RESPONSE_CACHE_MB). */
  responseCacheBytes: number;
  /** Measure ids and lock keys by code, for the batch write path (always re-checked under the lock). */
  measures: MeasureDirectory;
}

/** The app factory: everything is passed in, nothing is a module-level singleton. */
export async function buildApp({ config, db, logger, changes }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger as unknown as FastifyBaseLogger } : { logger: loggerOptions(config.LOG_LEVEL) }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    // Node checks request timeouts every 30 s by default: a 1 s timeout would take up to 31 s.
    http: { connectionsCheckingInterval: 1_000 },
    clientErrorHandler,
    connectionTimeout: config.REQUEST_TIMEOUT_MS + 5_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    frameworkErrors: (err, req, reply) => {
      const status = (err as { statusCode?: number }).statusCode ?? 400;
      const code = status === 414 ? 'uri-too-long' : 'malformed-request';
      return sendProblem(reply, problemOf(code, `The request could not be routed: ${err.message}`));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const rollupRule = config.ROLLUP_RULE ? parseRollupRule(config.ROLLUP_RULE) : DEFAULT_ROLLUP_RULE;

  registerValidation(app);
  registerErrorHandling(app, MAX_PARAM_LENGTH);
  registerJsonBodyParser(app);

  // One line per request, with the id; never headers (keys live in Authorization).
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      { method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, key: req.apiKey?.prefix },
      'request',
    );
  });

  await registerProtections(app, config);
  registerAuth(app, db, config.READ_ACCESS, changes);
  await registerOpenApi(app, API_VERSION);

  const writeGate = new WriteGate({ concurrency: config.WRITE_CONCURRENCY, maxQueue: config.WRITE_QUEUE_MAX });
  const ctx: AppContext = {
    db, config, rollupRule, changes, writeGate, responseCacheBytes: config.RESPONSE_CACHE_MB * 1024 * 1024, measures: new MeasureDirectory(),
  };
  await app.register(healthRoutes, { db });
  await app.register(v1Routes, { prefix: '/v1', ctx });
  return app;
}

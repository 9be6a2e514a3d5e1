import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { API_CSP } from './security-headers.js';

/** Security headers, CORS for BI tools in a browser, per-client rate limits, and load shedding. */
export async function registerProtections(app: FastifyInstance, config: Config) {
  // Swagger UI's inline bootstrap script does not fit a strict CSP; JSON responses need none.
  // So helmet's CSP is off, and every other answer gets one that lets it load nothing.
  await app.register(helmet, { contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'cross-origin' } });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/docs')) reply.header('content-security-policy', API_CSP);
    return payload;
  });

  const origins = config.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  await app.register(cors, {
    origin: origins.includes('*') ? true : origins.length ? origins : false,
    methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'Prefer', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'Location', 'Idempotent-Replayed', 'Preference-Applied'],
    maxAge: 600,
  });

  if (config.RATE_LIMIT_MAX > 0) {
    await app.register(rateLimit, {
      max: config.RATE_LIMIT_MAX,
      timeWindow: '1 minute',
      // Per API key when a valid one was sent, else per address. Auth's onRequest hook (app-level)
      // has run by now: this one is route-level. Keying on the raw header instead would give
      // every made-up key a fresh budget.
      keyGenerator: (req) => (req.apiKey ? `k:${req.apiKey.id}` : `ip:${req.ip}`),
      allowList: (req) => req.url === '/health' || req.url === '/ready',
      errorResponseBuilder: (_req, ctx) =>
        new AppError('too-many-requests', `Rate limit of ${ctx.max} requests per minute exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`, {
          headers: { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) },
        }),
    });
  }

  await app.register(underPressure, {
    maxEventLoopDelay: 2_000,
    retryAfter: 5,
    pressureHandler: (_req, _reply, type, value) => {
      throw new AppError('service-unavailable', `The service is overloaded (${type}: ${value}); retry shortly`, {
        headers: { 'retry-after': '5' },
      });
    },
  });
}

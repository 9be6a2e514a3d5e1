import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export const API_TAGS = [
  { name: 'priorities', description: 'Corporate priorities and their key objectives' },
  { name: 'measures', description: 'KPI definitions (polarity, frequency, trend basis, leads)' },
  { name: 'targets', description: 'Targets per measure and period, with revision history' },
  { name: 'readings', description: 'KPI readings; RAG status, variance and trend are derived on write' },
  { name: 'actions', description: 'Ambition Plan actions and their quarterly updates' },
  { name: 'rollups', description: 'Per-priority and council-wide summaries for BI tools' },
  { name: 'service', description: 'Liveness, readiness and this document' },
];

/** The OpenAPI document is generated from the route schemas (one TypeBox constant per shape). */
export async function registerOpenApi(app: FastifyInstance, version: string) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Council Performance Scorecard API',
        version,
        description:
          'Corporate performance scorecard of a London borough (Strategic Performance Report, Q2 2019/20). ' +
          'Council systems PUT KPI readings; the service derives each reading\'s RAG status, variance and trend on ' +
          'write and keeps them true when data arrives late or targets change. BI tools pull rollups per priority ' +
          'and period. Writes need an API key: click **Authorize** and paste it (without "Bearer"). ' +
          'Errors are RFC 9457 application/problem+json. GET bodies of 4 KB or more are gzip-encoded when the ' +
          'request sends `Accept-Encoding: gzip`.',
      },
      tags: API_TAGS,
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key from `npm run apikey -- create`' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, persistAuthorization: true } });
}

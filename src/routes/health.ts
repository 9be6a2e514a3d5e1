import { sql } from 'kysely';
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { problemResponses } from '../schemas/common.js';

export default async function healthRoutes(app: FastifyInstance, { db }: { db: Database }) {
  const Status = Type.Object({ status: Type.String({ description: 'ok when healthy', examples: ['ok'] }) });
  app.get('/health', {
    schema: { tags: ['service'], summary: 'Liveness: the process answers', response: { 200: Status } },
  }, async () => ({ status: 'ok' }));

  app.get('/ready', {
    schema: { tags: ['service'], summary: 'Readiness: the database answers', response: { 200: Status, ...problemResponses(503) } },
  }, async () => {
    try {
      await sql`select 1`.execute(db);
    } catch {
      throw new AppError('service-unavailable', 'The database does not answer', { headers: { 'retry-after': '2' } });
    }
    return { status: 'ok' };
  });
}

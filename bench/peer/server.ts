// The peer: an auto-generated REST API over the same tables (Platformatic's sql-mapper +
// sql-openapi on a bare Fastify), run as its own child process on PEER_PORT. Installed
// in bench/peer/node_modules only (`npm --prefix bench/peer install`); run.ts skips it when missing.
import Fastify from 'fastify';

const { default: sqlMapper } = await import('@platformatic/sql-mapper' as string);
const { default: sqlOpenapi } = await import('@platformatic/sql-openapi' as string);

const app = Fastify({ logger: false });
await app.register(sqlMapper, {
  connectionString: process.env.DATABASE_URL,
  poolSize: Number(process.env.DB_POOL_MAX ?? 10),
  autoTimestamp: false,
  // The same tables the service reads; nothing else is exposed.
  include: { measures: true, readings: true, priorities: true, targets: true },
});
await app.register(sqlOpenapi, { exposeRoute: false });
await app.listen({ port: Number(process.env.PEER_PORT), host: '127.0.0.1' });
process.send?.({ ready: true });
const stop = async () => {
  await app.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop).on('SIGINT', stop);

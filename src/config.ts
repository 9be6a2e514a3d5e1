import { envSchema } from 'env-schema';
import { Type, type Static } from 'typebox';

/** A plain `enum` keeps Ajv's message to one line ("must be equal to one of the allowed values"). */
function oneOf<const T extends readonly string[]>(values: T, def: T[number]) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], default: def });
}

/**
 * Every setting the service reads, validated once at start (env-schema + Ajv), so a bad
 * value stops the process with a message naming the variable instead of failing later.
 */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'Interface to listen on' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset = embedded PostgreSQL' }),
  ),
  DATA_DIR: Type.String({ default: './.data', minLength: 1, description: 'Embedded PostgreSQL data directory' }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  BOOTSTRAP_API_KEY: Type.Optional(
    Type.String({ minLength: 24, description: 'Admin key created at start if missing (containers, first runs)' }),
  ),
  READ_ACCESS: oneOf(['public', 'key'] as const, 'public'),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, default: 600, description: 'Requests per minute per client; 0 = off' }),
  SEED: Type.Boolean({ default: true, description: 'Load the report scorecard when the database is empty' }),
  CORS_ORIGINS: Type.String({ default: '', description: 'Comma-separated allowed origins; empty = no CORS' }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024, description: 'Largest request body, bytes' }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 30000 }),
  DB_LOCK_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 10000 }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 60000 }),
  WRITE_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'Batch write transactions run at once per instance' }),
  WRITE_QUEUE_MAX: Type.Integer({ minimum: 0, maximum: 10000, default: 16, description: 'Batch writes waiting for a slot; one more is a 503' }),
  RESPONSE_CACHE_MB: Type.Integer({ minimum: 1, maximum: 4096, default: 32, description: 'Response cache size, MB of bodies' }),
  ROLLUP_RULE: Type.Optional(Type.String({ description: 'JSON rollup rule overriding the DOMAIN.md default' })),
});

export type Config = Static<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  try {
    return envSchema<Config>({ schema: ConfigSchema, data, dotenv: false });
  } catch (err) {
    throw new Error(`Invalid configuration: ${(err as Error).message}`);
  }
}

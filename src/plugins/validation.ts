import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };

/**
 * Two Ajv instances. Bodies are strict: no type coercion ("5" is not 5) and unknown
 * properties are errors, not silently dropped (Fastify's defaults do both). Path and query
 * strings are text by nature, so they are coerced to the schema's types.
 */
export function registerValidation(app: FastifyInstance) {
  const bodyAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
  const textAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : textAjv.compile(schema),
  );
}

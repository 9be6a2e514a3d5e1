import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function findNul(v: unknown, path: string): string | null {
  if (typeof v === 'string') return v.includes('\u0000') ? path || '/' : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const hit = findNul(v[i], `${path}/${i}`);
      if (hit) return hit;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const hit = findNul(x, `${path}/${k}`) ?? (k.includes('\u0000') ? `${path}/${k}` : null);
      if (hit) return hit;
    }
  }
  return null;
}

/**
 * JSON bodies: invalid UTF-8 is refused (the default parser would silently turn it into
 * U+FFFD and store something the sender never sent); __proto__ keys are refused; a NUL
 * character, which PostgreSQL text cannot hold, is a 400 naming the field.
 */
export function registerJsonBodyParser(app: FastifyInstance) {
  // JSON only: any other body type (text/plain included) is a 415, not a confusing 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(new AppError('malformed-request', 'Request body is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(new AppError('malformed-request', 'Request body is empty; send a JSON object'), undefined);
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (err) {
      return done(new AppError('malformed-request', `Request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
    if (text.includes('\\u0000') || text.includes('\u0000')) {
      const at = findNul(parsed, '');
      if (at) {
        return done(
          new AppError('validation-error', `${at}: contains a NUL character, which cannot be stored`, {
            errors: [{ field: `/body${at}`, message: 'contains a NUL character, which cannot be stored' }],
          }),
          undefined,
        );
      }
    }
    done(null, parsed);
  });
}

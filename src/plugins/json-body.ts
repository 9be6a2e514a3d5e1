import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { AppError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Unstorable = { at: string; what: string };

/** Why PostgreSQL text could not hold this string exactly, or null when it can. */
function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character, which cannot be stored';
  // A lone UTF-16 surrogate ("\ud800" is valid JSON) has no UTF-8 form: it would be stored as U+FFFD.
  // With the u flag a surrogate pair is one code point, so this matches only unpaired halves.
  if (/[\uD800-\uDFFF]/u.test(s)) return 'contains a lone UTF-16 surrogate (not a Unicode character), which cannot be stored';
  return null;
}

/**
 * The first string (value or key) that cannot be stored, as a JSON pointer. Iterative, with an
 * explicit stack: a body nested 100k deep must be a 400, not a stack overflow (500).
 */
function findUnstorable(root: unknown): Unstorable | null {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const what = unstorable(v);
      if (what) return { at: path || '/', what };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i];
        const what = unstorable(k);
        if (what) return { at: `${path}/${k.replace(/[^\x20-\x7e]/g, '?')}`, what: `key ${what}` };
        stack.push([x, `${path}/${k}`]);
      }
    }
  }
  return null;
}

/**
 * JSON bodies: invalid UTF-8 is refused (the default parser would silently turn it into
 * U+FFFD and store something the sender never sent); __proto__ keys are refused; a NUL
 * character or a lone surrogate, which PostgreSQL text cannot hold as sent, is a 400 naming
 * the field.
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
    // NUL and surrogates can only come from \u escapes (raw control characters are not valid JSON).
    if (/\\u(0000|[dD][89a-fA-F])/.test(text)) {
      const bad = findUnstorable(parsed);
      if (bad) {
        if (bad.at.length > 200) bad.at = `${bad.at.slice(0, 200)}...`; // 100k-deep pointers stay out of the answer
        return done(
          new AppError('validation-error', `${bad.at}: ${bad.what}`, { errors: [{ field: `/body${bad.at === '/' ? '' : bad.at}`, message: bad.what }] }),
          undefined,
        );
      }
    }
    done(null, parsed);
  });
}

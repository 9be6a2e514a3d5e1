import { AppError } from '../errors.js';

/**
 * Opaque keyset cursors: base64url of the last row's sort key. A cursor that does not decode
 * to the shape this list uses is a 400, never a database error.
 */
export function encodeCursor(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: ('string' | 'number')[]): (string | number)[] | null {
  if (cursor === undefined) return null;
  const bad = () => new AppError('validation-error', 'cursor is not one this API issued; start again without it', {
    errors: [{ field: '/querystring/cursor', message: 'is not a valid cursor' }],
  });
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const p = parsed as { v?: unknown; k?: unknown };
  if (p?.v !== 1 || !Array.isArray(p.k) || p.k.length !== shape.length) throw bad();
  p.k.forEach((x, i) => {
    if (typeof x !== shape[i] || (typeof x === 'number' && !Number.isSafeInteger(x)) || (typeof x === 'string' && x.length > 200)) throw bad();
  });
  return p.k as (string | number)[];
}

/** Takes limit+1 rows: the extra one only says whether there is a next page. */
export function page<T>(rows: T[], limit: number, keyOf: (row: T) => (string | number)[]) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null };
}

/**
 * The catalogue of problems the API answers with (RFC 9457 problem+json). Each has a stable
 * `type` URI under /problems/, a fixed title and status; the detail says what went wrong here.
 */
export const PROBLEMS = {
  'validation-error': { status: 400, title: 'Request is not valid' },
  'malformed-request': { status: 400, title: 'Request could not be read' },
  unauthorized: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  conflict: { status: 409, title: 'Conflict' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'unprocessable-content': { status: 422, title: 'Request cannot be applied' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  'internal-error': { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

export interface FieldError {
  /** JSON pointer or dotted path to the failing field, e.g. `/readings/3/value`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    opts: { errors?: FieldError[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.errors = opts.errors;
    this.extra = opts.extra;
    this.headers = opts.headers;
  }
}

export const notFound = (what: string) => new AppError('not-found', `${what} does not exist`);
export const invalid = (field: string, message: string) =>
  new AppError('validation-error', `${field}: ${message}`, { errors: [{ field, message }] });

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  [k: string]: unknown;
}

export function problemOf(code: ProblemCode, detail: string, more: Partial<Problem> = {}): Problem {
  const p = PROBLEMS[code];
  return { type: `/problems/${code}`, title: p.title, status: p.status, detail, ...more };
}

/** Maps a status Fastify or a plugin chose to our catalogue. */
export function codeForStatus(status: number): ProblemCode {
  const found = (Object.keys(PROBLEMS) as ProblemCode[]).find(
    (k) => PROBLEMS[k].status === status && k !== 'malformed-request',
  );
  if (found) return found;
  return status >= 500 ? 'internal-error' : 'malformed-request';
}

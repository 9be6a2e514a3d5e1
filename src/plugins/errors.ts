import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { AppError, codeForStatus, problemOf, type FieldError, type Problem } from '../errors.js';
import { BASELINE_SECURITY_HEADERS } from './security-headers.js';

/** Postgres SQLSTATEs that mean "try again shortly", not "the service is broken". */
const UNAVAILABLE_SQLSTATES = new Set(['55P03', '57014', '57P01', '57P02', '57P03', '53300', '40P01', '40001']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}) {
  // Framework errors are answered before the onRequest hooks (helmet, request id) have run.
  if (!reply.hasHeader('x-content-type-options')) reply.headers(BASELINE_SECURITY_HEADERS);
  if (!reply.hasHeader('x-request-id')) reply.header('x-request-id', reply.request.id);
  reply.code(problem.status).headers(headers).type('application/problem+json');
  return reply.send({ ...problem, instance: reply.request.url.split('?')[0], requestId: reply.request.id });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a request that is not HTTP,
 * headers over the size limit, a request not complete within REQUEST_TIMEOUT_MS): answered with
 * problem+json too, then the connection is closed. Fastify's `clientErrorHandler` option.
 */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? ['request-timeout', 'The request was not received in full in time'] as const
    : err.code === 'HPE_HEADER_OVERFLOW' ? ['headers-too-large', 'The request headers are larger than the server accepts'] as const
    : ['malformed-request', 'The request is not valid HTTP/1.1'] as const;
  const problem = problemOf(code, detail);
  this.log.debug({ code: err.code, status: problem.status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(problem);
    const headers = { ...BASELINE_SECURITY_HEADERS, 'content-type': 'application/problem+json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
    socket.write(`HTTP/1.1 ${problem.status} ${problem.title}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

function validationErrors(err: FastifyError): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const base = `/${err.validationContext ?? 'body'}${v.instancePath}`;
    if (typeof params?.additionalProperty === 'string') {
      return { field: `${base}/${params.additionalProperty}`, message: 'is not a property this resource accepts' };
    }
    if (typeof params?.missingProperty === 'string') {
      return { field: `${base}/${params.missingProperty}`, message: 'is required' };
    }
    return { field: base, message: v.message ?? 'is not valid' };
  });
}

function isDbUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATES.has(e.code) || NETWORK_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error/i.test(e?.message ?? '');
}

export function toProblem(err: unknown): { problem: Problem; headers: Record<string, string>; log: boolean } {
  if (err instanceof AppError) {
    return {
      problem: problemOf(err.code, err.message, { ...(err.errors ? { errors: err.errors } : {}), ...err.extra }),
      headers: err.headers ?? {},
      log: err.status >= 500,
    };
  }
  const fe = err as FastifyError & { code?: string };
  if (fe?.validation) {
    const errors = validationErrors(fe);
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    return { problem: problemOf('validation-error', detail, { errors }), headers: {}, log: false };
  }
  if (isDbUnavailable(err)) {
    return {
      problem: problemOf('service-unavailable', 'The database is busy or unreachable; retry shortly'),
      headers: { 'retry-after': '2' },
      log: true,
    };
  }
  const pgCode = (err as { code?: string })?.code;
  if (pgCode === '22P05' || pgCode === '22021') {
    return { problem: problemOf('validation-error', 'Text contains characters that cannot be stored (NUL or invalid UTF-8)'), headers: {}, log: false };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { problem: problemOf(codeForStatus(status), fe.message || 'Bad request'), headers: {}, log: false };
  }
  // 5xx: the body says nothing about internals; the log has the error and the request id.
  return { problem: problemOf('internal-error', 'An unexpected error occurred; it has been logged'), headers: {}, log: true };
}

/** Registered on the root instance so it covers every route, hook and plugin. */
export function registerErrorHandling(app: FastifyInstance, maxParamLength: number) {
  // A shadow router of every route lets a 404 tell "no such path" from "no such method" (405).
  const shadow = FindMyWay();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === 'HEAD' || m === 'OPTIONS') continue;
      try {
        shadow.on(m as 'GET', route.url, () => undefined);
      } catch {
        /* duplicate shapes are fine */
      }
    }
  });

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { problem, headers, log } = toProblem(err);
    if (log) request.log.error({ err, reqId: request.id }, 'request failed');
    return sendProblem(reply, problem, headers);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    if (path.split('/').some((seg) => seg.length > maxParamLength)) {
      return sendProblem(reply, problemOf('uri-too-long', `A path segment is longer than ${maxParamLength} characters`));
    }
    const allowed = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'].filter((m) => shadow.find(m as 'GET', path));
    if (allowed.length > 0) {
      return sendProblem(reply, problemOf('method-not-allowed', `${request.method} is not supported on ${path}; use ${allowed.join(', ')}`), {
        allow: allowed.join(', '),
      });
    }
    return sendProblem(reply, problemOf('not-found', `No resource at ${path}`));
  });
}

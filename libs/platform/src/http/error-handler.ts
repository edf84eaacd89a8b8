import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { GrpcCode, KeelError, notFound, validationError } from '../errors/keel-error.js';
import { problemContentType, toProblemDetails } from '../errors/problem-details.js';
import type { Logger } from '../logging/create-logger.js';
import { requestIdOf } from './request-context.js';

/** The shape of the errors body-parser raises (http-errors with a `type`). */
interface BodyParserError {
  type?: unknown;
  status?: unknown;
  limit?: unknown;
  expose?: unknown;
}

function httpError(status: number, code: string, detail: string, cause: unknown): KeelError {
  return new KeelError(detail, {
    code,
    httpStatus: status,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    retryable: false,
    cause,
  });
}

/** Turns the JSON parser's failures into KeelErrors with stable codes; other errors pass unchanged. */
export function fromBodyParserError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || !('type' in error)) return error;
  const { type, status, limit, expose } = error as BodyParserError;
  switch (type) {
    case 'entity.parse.failed':
      return validationError(
        [{ field: '(body)', message: 'not valid JSON' }],
        'the request body is not valid JSON',
        'HTTP.MALFORMED_JSON',
      );
    case 'entity.too.large':
      return httpError(
        413,
        'HTTP.BODY_TOO_LARGE',
        typeof limit === 'number'
          ? `the request body is larger than the limit of ${limit} bytes`
          : 'the request body is too large',
        error,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return httpError(
        415,
        'HTTP.UNSUPPORTED_MEDIA_TYPE',
        'unsupported body encoding or charset: send UTF-8 JSON without a content encoding, or gzip/deflate/br',
        error,
      );
    case 'request.aborted':
      return httpError(400, 'HTTP.REQUEST_ABORTED', 'the request was aborted while its body was read', error);
    default:
      if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
        return httpError(status, 'HTTP.BAD_REQUEST', String((error as { message?: unknown }).message), error);
      }
      return error;
  }
}

function sendProblem(res: Response, error: unknown, instance: string): void {
  const problem = toProblemDetails(error, instance);
  const requestId = requestIdOf(res);
  const body = requestId ? { ...problem, requestId } : problem;
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="keel"');
  if (problem.status === 503) res.setHeader('Retry-After', '1');
  res.status(problem.status).type(problemContentType).send(JSON.stringify(body));
}

/** Every route that matched nothing: a 404 problem, not express's HTML page. */
export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => {
    next(notFound(`route ${req.method} ${req.path}`, 'HTTP.ROUTE_NOT_FOUND'));
  };
}

/**
 * The edge where errors become responses: KeelError → its status and code; the JSON parser's
 * errors → 400/413/415 with stable codes; anything else → 500 with a generic detail while the
 * log line keeps the stack.
 */
export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (rawError, req, res, next) => {
    const error = fromBodyParserError(rawError);
    const status = error instanceof KeelError ? error.httpStatus : 500;
    if (status >= 500) {
      logger.error({ err: rawError, path: req.path, method: req.method }, 'request failed');
    } else {
      const code = error instanceof KeelError ? error.code : undefined;
      logger.info({ code, path: req.path, method: req.method, detail: (error as Error).message }, 'request rejected');
    }
    if (res.headersSent) {
      // Too late for a problem document; express closes the connection.
      next(rawError);
      return;
    }
    sendProblem(res, error, req.originalUrl.split('?')[0] ?? req.path);
  };
}

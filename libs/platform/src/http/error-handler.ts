import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { GrpcCode, KeelError, methodNotAllowed, notFound, validationError } from '../errors/keel-error.js';
import { problemContentType, toProblemDetails } from '../errors/problem-details.js';
import type { Logger } from '../logging/create-logger.js';
import { allowedMethodsOf } from './allowed-methods.js';
import { requestIdOf } from './request-context.js';

/** The shape of the errors body-parser and the router raise (http-errors, with a `type` from body-parser). */
interface RequestReadingError {
  type?: unknown;
  status?: unknown;
  limit?: unknown;
  code?: unknown;
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

/**
 * Turns what fails while a request is read (its path decoded, its body inflated and parsed)
 * into KeelErrors with stable codes: these are the caller's mistakes, never a 500. Other errors
 * pass unchanged.
 */
export function fromRequestReadingError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null || error instanceof KeelError) return error;
  // The router decodes `:id` with decodeURIComponent: `/v1/jobs/%ZZ` is a malformed path.
  if (error instanceof URIError) {
    return validationError(
      [{ field: '(path)', message: 'not valid percent-encoding' }],
      'the request path is not valid percent-encoding (a "%" must start a %XX escape of UTF-8 bytes)',
      'HTTP.MALFORMED_PATH',
    );
  }
  const { type, status, limit, code } = error as RequestReadingError;
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
      break;
  }
  // zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR...) wrapped by body-parser: the declared encoding lied.
  if (typeof code === 'string' && /^(Z_|ERR_ZLIB|ERR__?BROTLI)/.test(code)) {
    return httpError(
      400,
      'HTTP.MALFORMED_BODY_ENCODING',
      'the request body does not match its Content-Encoding (for example, declared gzip but not gzip data)',
      error,
    );
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return httpError(status, 'HTTP.BAD_REQUEST', String((error as { message?: unknown }).message), error);
  }
  return error;
}

function sendProblem(res: Response, error: unknown, instance: string): void {
  const problem = toProblemDetails(error, instance);
  const requestId = requestIdOf(res);
  const body = requestId ? { ...problem, requestId } : problem;
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="keel"');
  if (problem.status === 503) res.setHeader('Retry-After', '1');
  res.status(problem.status).type(problemContentType).send(JSON.stringify(body));
}

/**
 * Every request that matched no route: 405 with `Allow` when the path exists under other
 * methods, otherwise a 404 problem, not express's HTML page.
 */
export function notFoundHandler(): RequestHandler {
  return (req, res, next) => {
    const allowed = allowedMethodsOf(req.app, req.path);
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      next(methodNotAllowed(req.method, req.path, allowed));
      return;
    }
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
    const error = fromRequestReadingError(rawError);
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

/**
 * Errors on the OpenAI-compatible routes take OpenAI's shape,
 * `{ error: { message, type, param, code } }` as `application/json`, which the official SDKs
 * parse into their typed errors (AuthenticationError, NotFoundError...). The status codes are
 * the ones the Keel error carries, except a policy-blocked question: OpenAI answers a content
 * policy violation with 400, and clients written for it expect that.
 */
import { fromRequestReadingError, isKeelError, type KeelError, type Logger } from '@keel/platform';
import type { ErrorRequestHandler } from 'express';

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// Keel codes with an OpenAI equivalent clients may test for.
const openAiCodes: Record<string, string> = {
  'AUTH.UNKNOWN_API_KEY': 'invalid_api_key',
  'AUTH.MISSING_API_KEY': 'missing_api_key',
  'MODEL.NOT_FOUND': 'model_not_found',
  'POLICY.BLOCKED': 'content_policy_violation',
  // The gateway's own limits (429), as OpenAI names them.
  'LIMIT.RATE_EXCEEDED': 'rate_limit_exceeded',
  'LIMIT.BUDGET_EXCEEDED': 'insufficient_quota',
};

function typeOf(status: number): string {
  if ([400, 401, 404, 405, 409, 413, 415, 422].includes(status)) {
    return 'invalid_request_error';
  }
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return 'server_error';
}

/**
 * `messages.0.content` → `messages[0].content`, as OpenAI names parameters. The platform's
 * pseudo-fields for the request as a whole (`(body)`, `(path)`) name no parameter.
 */
function paramOf(field: string | undefined): string | null {
  if (!field || /^\(\w+\)$/.test(field)) return null;
  return field.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

function fromKeelError(error: KeelError): { status: number; body: OpenAiErrorBody } {
  const status = error.code === 'POLICY.BLOCKED' ? 400 : error.httpStatus;
  return {
    status,
    body: {
      error: {
        message: error.detail ?? error.message,
        type: typeOf(status),
        param: paramOf(error.violations[0]?.field),
        code: openAiCodes[error.code] ?? error.code,
      },
    },
  };
}

/** Malformed paths, bodies and encodings are read as the platform reads them, then shaped like OpenAI's. */
export function toOpenAiError(rawError: unknown): { status: number; body: OpenAiErrorBody } {
  const error = fromRequestReadingError(rawError);
  if (isKeelError(error)) return fromKeelError(error);
  return {
    status: 500,
    body: {
      error: {
        message: 'The server had an error while processing your request; its logs have the details.',
        type: 'server_error',
        param: null,
        code: 'INTERNAL',
      },
    },
  };
}

/**
 * The error handler of the OpenAI routes, mounted at the root and matching the paths itself:
 * mounted with `app.use(paths, ...)`, Express would rewrite `req.baseUrl` for the rest of the
 * request, and every failed request would be logged and measured under a doubled route
 * (`/v1/embeddings/v1/embeddings`). Errors of other paths go on to the problem+json handler.
 */
export function openAiErrorHandler(logger: Logger, pathPrefixes: readonly string[]): ErrorRequestHandler {
  const applies = (path: string) => pathPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  return (error, req, res, next) => {
    if (!applies(req.path)) {
      next(error);
      return;
    }
    const { status, body } = toOpenAiError(error);
    if (status >= 500) logger.error({ err: error, path: req.path }, 'request failed');
    else logger.info({ code: body.error.code, path: req.path, detail: body.error.message }, 'request rejected');
    if (res.headersSent) {
      next(error);
      return;
    }
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="keel"');
    if (status === 503) res.setHeader('Retry-After', '1');
    res.status(status).json(body);
  };
}

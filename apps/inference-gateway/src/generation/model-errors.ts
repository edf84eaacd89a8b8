/**
 * A provider's failure, as the gateway's callers see it (after the retries): 429 passes the
 * provider's `retry-after` on, a refusal of the request's content is the caller's 400, every
 * endpoint behind an open circuit breaker is a 503 with `retry-after`, and every other failure is
 * the gateway's 502 (bad or no answer upstream) or 504 (no answer in time). The
 * message names the provider and what happened, never a key or an address' credentials.
 */
import type { ProviderError } from '@keel/models';
import { GrpcCode, KeelError } from '@keel/platform';

export class ModelCallError extends KeelError {
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(
    message: string,
    options: ConstructorParameters<typeof KeelError>[1] & { retryAfterMs?: number | undefined; attempts: number },
  ) {
    super(message, options);
    this.name = 'ModelCallError';
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts;
  }
}

export function isModelCallError(error: unknown): error is ModelCallError {
  return error instanceof ModelCallError;
}

/**
 * gRPC status of a provider that failed after the gateway's retries: INTERNAL with the `MODEL.*`
 * code in `x-keel-error-code`. Not UNAVAILABLE, which the platform's channels retry (the model was
 * already retried, and every call costs), nor DEADLINE_EXCEEDED, which clients read as their own
 * deadline passing.
 */
const upstreamFailure = GrpcCode.INTERNAL;

const codes: Record<ProviderError['kind'], string> = {
  rate_limited: 'MODEL.RATE_LIMITED',
  upstream_error: 'MODEL.UPSTREAM_ERROR',
  timeout: 'MODEL.TIMEOUT',
  connection_failed: 'MODEL.UNREACHABLE',
  stream_interrupted: 'MODEL.STREAM_INTERRUPTED',
  malformed_response: 'MODEL.MALFORMED_RESPONSE',
  circuit_open: 'MODEL.CIRCUIT_OPEN',
  rejected: 'MODEL.REJECTED',
  aborted: 'MODEL.CANCELLED',
};

export function modelErrorCodeOf(error: ProviderError): string {
  return codes[error.kind];
}

export function modelCallErrorOf(error: ProviderError): ModelCallError {
  const attempts = error.attempts;
  const after = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const code = codes[error.kind];
  const common = { code, attempts, dependency: error.provider, cause: error };
  switch (error.kind) {
    case 'rate_limited':
      return new ModelCallError(`the model provider is rate limiting: ${error.message}${after}`, {
        ...common,
        httpStatus: 429,
        grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
        retryable: true,
        retryAfterMs: error.retryAfterMs,
      });
    case 'timeout':
      return new ModelCallError(`the model provider did not answer in time: ${error.message}${after}`, {
        ...common,
        httpStatus: 504,
        grpcCode: upstreamFailure,
        retryable: true,
      });
    case 'rejected':
      // The provider refused this request's content (a parameter, the context length): the caller's to fix.
      if (error.status !== undefined && [400, 404, 413, 422].includes(error.status)) {
        return new ModelCallError(`the model provider refused the request: ${error.message}`, {
          ...common,
          httpStatus: 400,
          grpcCode: GrpcCode.INVALID_ARGUMENT,
          retryable: false,
        });
      }
      // 401/403: the gateway's credentials, not the caller's request.
      return new ModelCallError(`the model provider refused the gateway: ${error.message}`, {
        ...common,
        httpStatus: 502,
        grpcCode: GrpcCode.UNAVAILABLE,
        retryable: false,
      });
    case 'circuit_open':
      // Nothing was called: every endpoint is resting after failures. The caller may come back.
      return new ModelCallError(`the model provider is unavailable: ${error.message}`, {
        ...common,
        httpStatus: 503,
        grpcCode: GrpcCode.UNAVAILABLE,
        retryable: true,
        retryAfterMs: error.retryAfterMs,
      });
    case 'aborted':
      return new ModelCallError('the request was cancelled', {
        ...common,
        httpStatus: 499,
        grpcCode: GrpcCode.CANCELLED,
        retryable: false,
      });
    default:
      return new ModelCallError(`the model provider failed: ${error.message}${after}`, {
        ...common,
        httpStatus: 502,
        grpcCode: upstreamFailure,
        retryable: error.retryable,
      });
  }
}

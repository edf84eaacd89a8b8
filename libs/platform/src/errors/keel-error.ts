/**
 * Errors with a stable code and a retryable flag, raised anywhere and mapped only at the edge
 * (HTTP problem+json, gRPC status, retry or dead-letter). Domain code throws these through the
 * factories below; transports never invent status codes of their own.
 */

/**
 * gRPC status codes by name. Their numbers are fixed by the gRPC specification; they are
 * repeated here so that domain code can raise errors without loading a gRPC library.
 */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcCodeNumber = (typeof GrpcCode)[keyof typeof GrpcCode];

/** One invalid field of a request: `field` is a dotted path into the body (`messages.0.content`). */
export interface Violation {
  field: string;
  message: string;
}

export interface KeelErrorOptions {
  /** Stable, documented, machine-readable: `AREA.REASON`, e.g. `REVIEW.LEASE_HELD`. */
  code: string;
  httpStatus: number;
  grpcCode: number;
  retryable: boolean;
  /** Safe to show to the caller. Defaults to the message. */
  detail?: string;
  violations?: Violation[];
  /** The downstream system that failed, for dependency errors. */
  dependency?: string;
  cause?: unknown;
}

export class KeelError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly grpcCode: number;
  readonly retryable: boolean;
  readonly violations: Violation[];
  readonly detail?: string;
  readonly dependency?: string;

  constructor(message: string, options: KeelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeelError';
    this.code = options.code;
    this.httpStatus = options.httpStatus;
    this.grpcCode = options.grpcCode;
    this.retryable = options.retryable;
    this.violations = options.violations ?? [];
    this.detail = options.detail ?? message;
    if (options.dependency !== undefined) this.dependency = options.dependency;
  }
}

export function isKeelError(error: unknown): error is KeelError {
  return error instanceof KeelError;
}

/** Default codes of the factories; callers may pass a more specific one. */
export const ErrorCode = {
  invalidArgument: 'REQUEST.INVALID',
  unauthenticated: 'AUTH.UNAUTHENTICATED',
  forbidden: 'AUTH.FORBIDDEN',
  notFound: 'RESOURCE.NOT_FOUND',
  conflict: 'RESOURCE.CONFLICT',
  rateLimited: 'RATE.LIMITED',
  unavailable: 'DEPENDENCY.UNAVAILABLE',
  dependencyTimeout: 'DEPENDENCY.TIMEOUT',
  dependencyFailed: 'DEPENDENCY.FAILED',
  internal: 'INTERNAL',
} as const;

export function describeViolations(violations: readonly Violation[]): string {
  return violations.map((violation) => `${violation.field}: ${violation.message}`).join('; ');
}

/** 400 / INVALID_ARGUMENT. The detail names every field unless one is given. */
export function validationError(violations: Violation[], detail?: string, code?: string): KeelError {
  const message = detail ?? (violations.length > 0 ? describeViolations(violations) : 'invalid request');
  return new KeelError(message, {
    code: code ?? ErrorCode.invalidArgument,
    httpStatus: 400,
    grpcCode: GrpcCode.INVALID_ARGUMENT,
    retryable: false,
    violations,
  });
}

/** 401 / UNAUTHENTICATED. */
export function unauthenticated(detail: string, code?: string): KeelError {
  return new KeelError(detail, {
    code: code ?? ErrorCode.unauthenticated,
    httpStatus: 401,
    grpcCode: GrpcCode.UNAUTHENTICATED,
    retryable: false,
  });
}

/** 403 / PERMISSION_DENIED. */
export function forbidden(detail: string, code?: string): KeelError {
  return new KeelError(detail, {
    code: code ?? ErrorCode.forbidden,
    httpStatus: 403,
    grpcCode: GrpcCode.PERMISSION_DENIED,
    retryable: false,
  });
}

/** 404 / NOT_FOUND; `what` names the thing, e.g. `document doc-1`. */
export function notFound(what: string, code?: string): KeelError {
  return new KeelError(`${what} not found`, {
    code: code ?? ErrorCode.notFound,
    httpStatus: 404,
    grpcCode: GrpcCode.NOT_FOUND,
    retryable: false,
  });
}

/** 405: the path exists, under other methods (`allowed`, which the HTTP edge sends as `Allow`). */
export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): KeelError {
  return new KeelError(`${method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
    code: 'HTTP.METHOD_NOT_ALLOWED',
    httpStatus: 405,
    grpcCode: GrpcCode.UNIMPLEMENTED,
    retryable: false,
  });
}

/**
 * 409. `kind` picks the gRPC status: `failed_precondition` (the state forbids it: a lease held,
 * a version moved on) or `already_exists` (a create that collides).
 */
export function conflict(
  detail: string,
  code?: string,
  kind: 'failed_precondition' | 'already_exists' = 'failed_precondition',
): KeelError {
  return new KeelError(detail, {
    code: code ?? ErrorCode.conflict,
    httpStatus: 409,
    grpcCode: kind === 'already_exists' ? GrpcCode.ALREADY_EXISTS : GrpcCode.FAILED_PRECONDITION,
    retryable: false,
  });
}

/** 429 / RESOURCE_EXHAUSTED: budgets and rate limits; retryable later. */
export function rateLimited(detail: string, code?: string): KeelError {
  return new KeelError(detail, {
    code: code ?? ErrorCode.rateLimited,
    httpStatus: 429,
    grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    retryable: true,
  });
}

/**
 * 503 / UNAVAILABLE, retryable: a dependency (Kafka, MongoDB, the retrieval service...) cannot be
 * reached or did not answer in time. runService prints these as one line when start fails.
 */
export function unavailable(dependency: string, detail: string, code?: string, cause?: unknown): KeelError {
  return new KeelError(`${dependency} unavailable: ${detail}`, {
    code: code ?? ErrorCode.unavailable,
    httpStatus: 503,
    grpcCode: GrpcCode.UNAVAILABLE,
    retryable: true,
    dependency,
    cause,
  });
}

/** 500 / INTERNAL: a bug or an invariant broken; the detail is still shown, so keep it free of secrets. */
export function internalError(detail: string, code?: string, cause?: unknown): KeelError {
  return new KeelError(detail, {
    code: code ?? ErrorCode.internal,
    httpStatus: 500,
    grpcCode: GrpcCode.INTERNAL,
    retryable: false,
    cause,
  });
}

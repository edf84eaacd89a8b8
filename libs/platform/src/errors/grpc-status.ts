import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import {
  conflict,
  ErrorCode,
  forbidden,
  GrpcCode,
  KeelError,
  rateLimited,
  unauthenticated,
  unavailable,
  type Violation,
  validationError,
} from './keel-error.js';

/** Trailers a Keel server adds to a failed call, so the client can rebuild the same KeelError. */
export const ErrorTrailer = {
  code: 'x-keel-error-code',
  retryable: 'x-keel-retryable',
  /** JSON array of violations; binary so that any Unicode in messages survives. */
  violations: 'x-keel-violations-bin',
} as const;

export interface GrpcErrorStatus {
  code: status;
  details: string;
  metadata: Metadata;
}

/**
 * What a server sends for a thrown error. KeelErrors keep their status and message; anything
 * else is INTERNAL with a generic message (the log has the stack; the caller must not).
 */
export function toGrpcStatus(error: unknown): GrpcErrorStatus {
  const metadata = new Metadata();
  if (!(error instanceof KeelError)) {
    metadata.set(ErrorTrailer.code, ErrorCode.internal);
    metadata.set(ErrorTrailer.retryable, 'false');
    return { code: status.INTERNAL, details: 'internal error', metadata };
  }
  metadata.set(ErrorTrailer.code, error.code);
  metadata.set(ErrorTrailer.retryable, String(error.retryable));
  if (error.violations.length > 0) {
    metadata.set(ErrorTrailer.violations, Buffer.from(JSON.stringify(error.violations), 'utf8'));
  }
  return { code: error.grpcCode as status, details: error.detail ?? error.message, metadata };
}

function firstString(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function violationsOf(metadata: Metadata | undefined): Violation[] {
  const raw = metadata?.get(ErrorTrailer.violations)[0];
  if (!Buffer.isBuffer(raw)) return [];
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { field, message } = entry as Record<string, unknown>;
      return typeof field === 'string' && typeof message === 'string' ? [{ field, message }] : [];
    });
  } catch {
    return [];
  }
}

export interface GrpcFailureContext {
  /** The name of the called system, as operators know it (`retrieval`, `policy`). */
  dependency: string;
  deadlineMs?: number;
}

/**
 * What a client makes of a failed call: a KeelError the caller can map again at its own edge.
 * Transport failures (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED) become retryable dependency
 * errors; the callee's own verdicts (invalid argument, not found...) keep their meaning and code.
 */
export function fromGrpcError(
  error: Partial<ServiceError> & { code?: number },
  context: GrpcFailureContext,
): KeelError {
  const details = error.details || error.message || 'no details';
  const code = firstString(error.metadata, ErrorTrailer.code);
  const { dependency } = context;
  switch (error.code) {
    case GrpcCode.INVALID_ARGUMENT:
    case GrpcCode.OUT_OF_RANGE:
      return validationError(violationsOf(error.metadata), details, code);
    case GrpcCode.NOT_FOUND:
      return new KeelError(details, {
        code: code ?? ErrorCode.notFound,
        httpStatus: 404,
        grpcCode: GrpcCode.NOT_FOUND,
        retryable: false,
      });
    case GrpcCode.ALREADY_EXISTS:
      return conflict(details, code, 'already_exists');
    case GrpcCode.FAILED_PRECONDITION:
    case GrpcCode.ABORTED:
      return conflict(details, code);
    case GrpcCode.UNAUTHENTICATED:
      return unauthenticated(details, code);
    case GrpcCode.PERMISSION_DENIED:
      return forbidden(details, code);
    case GrpcCode.RESOURCE_EXHAUSTED:
      return rateLimited(`${dependency}: ${details}`, code);
    case GrpcCode.DEADLINE_EXCEEDED:
      return unavailable(
        dependency,
        context.deadlineMs === undefined
          ? 'deadline exceeded'
          : `no answer within the ${context.deadlineMs} ms deadline`,
        ErrorCode.dependencyTimeout,
        error,
      );
    case GrpcCode.UNAVAILABLE:
    case GrpcCode.CANCELLED:
      return unavailable(dependency, details, code, error);
    default:
      // UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS: the dependency broke; to our caller that is a bad gateway.
      return new KeelError(`${dependency} failed: ${details}`, {
        code: code ?? ErrorCode.dependencyFailed,
        httpStatus: 502,
        grpcCode: GrpcCode.INTERNAL,
        retryable: false,
        dependency,
        cause: error,
      });
  }
}

import { STATUS_CODES } from 'node:http';
import { ErrorCode, KeelError, type Violation } from './keel-error.js';

/** An RFC 9457 problem document, served as `application/problem+json`. */
export interface ProblemDetails {
  /** A URI naming the kind of problem; stable per `code`. */
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** The stable Keel error code, e.g. `AUTH.UNKNOWN_API_KEY`. */
  code: string;
  retryable: boolean;
  errors?: Violation[];
}

export const problemContentType = 'application/problem+json';

/** A URN rather than a URL: it identifies the problem kind without pretending a web page exists. */
export function problemTypeOf(code: string): string {
  return `urn:keel:problem:${code}`;
}

/**
 * Maps any thrown value to the body the caller sees. KeelErrors keep their status, code and
 * detail; anything else becomes a 500 with a generic detail, because unknown errors may carry
 * internals (SQL, paths, hosts) that must not leak.
 */
export function toProblemDetails(error: unknown, instance?: string): ProblemDetails {
  if (error instanceof KeelError) {
    const problem: ProblemDetails = {
      type: problemTypeOf(error.code),
      title: STATUS_CODES[error.httpStatus] ?? 'Error',
      status: error.httpStatus,
      detail: error.detail ?? error.message,
      code: error.code,
      retryable: error.retryable,
    };
    if (instance !== undefined) problem.instance = instance;
    if (error.violations.length > 0) problem.errors = error.violations;
    return problem;
  }
  const problem: ProblemDetails = {
    type: problemTypeOf(ErrorCode.internal),
    title: 'Internal Server Error',
    status: 500,
    detail: 'an unexpected error occurred; the server logs have the details',
    code: ErrorCode.internal,
    retryable: false,
  };
  if (instance !== undefined) problem.instance = instance;
  return problem;
}

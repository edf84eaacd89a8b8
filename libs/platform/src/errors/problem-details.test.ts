import { describe, expect, it } from 'vitest';
import {
  conflict,
  forbidden,
  GrpcCode,
  internalError,
  notFound,
  rateLimited,
  unauthenticated,
  unavailable,
  validationError,
} from './keel-error.js';
import { toProblemDetails } from './problem-details.js';

describe('error factories', () => {
  it.each([
    [
      'validationError',
      validationError([{ field: 'text', message: 'Required' }]),
      400,
      GrpcCode.INVALID_ARGUMENT,
      false,
    ],
    ['unauthenticated', unauthenticated('no key'), 401, GrpcCode.UNAUTHENTICATED, false],
    ['forbidden', forbidden('not yours'), 403, GrpcCode.PERMISSION_DENIED, false],
    ['notFound', notFound('document doc-1'), 404, GrpcCode.NOT_FOUND, false],
    ['conflict', conflict('lease held', 'REVIEW.LEASE_HELD'), 409, GrpcCode.FAILED_PRECONDITION, false],
    ['conflict (exists)', conflict('exists', undefined, 'already_exists'), 409, GrpcCode.ALREADY_EXISTS, false],
    ['rateLimited', rateLimited('budget spent'), 429, GrpcCode.RESOURCE_EXHAUSTED, true],
    ['unavailable', unavailable('kafka', 'no broker answers'), 503, GrpcCode.UNAVAILABLE, true],
    ['internalError', internalError('invariant broken'), 500, GrpcCode.INTERNAL, false],
  ])('%s maps to HTTP %i and gRPC %i', (_name, error, httpStatus, grpcCode, retryable) => {
    expect(error.httpStatus).toBe(httpStatus);
    expect(error.grpcCode).toBe(grpcCode);
    expect(error.retryable).toBe(retryable);
    expect(error.code).toMatch(/^[A-Z_]+(\.[A-Z_]+)*$/);
  });

  it('keeps a code override and names the dependency', () => {
    const error = unavailable('retrieval', 'no answer', 'DEPENDENCY.TIMEOUT');
    expect(error.code).toBe('DEPENDENCY.TIMEOUT');
    expect(error.dependency).toBe('retrieval');
    expect(error.message).toBe('retrieval unavailable: no answer');
  });

  it('describes every violated field in the message of a validation error', () => {
    const error = validationError([
      { field: 'text', message: 'Required' },
      { field: 'topK', message: 'Too big' },
    ]);
    expect(error.message).toBe('text: Required; topK: Too big');
  });
});

describe('toProblemDetails', () => {
  it('turns a KeelError into an RFC 9457 body with its code, violations and instance', () => {
    const problem = toProblemDetails(
      validationError([{ field: 'text', message: 'Required' }], 'invalid request body: text: Required'),
      '/v1/documents',
    );
    expect(problem).toEqual({
      type: 'urn:keel:problem:REQUEST.INVALID',
      title: 'Bad Request',
      status: 400,
      detail: 'invalid request body: text: Required',
      instance: '/v1/documents',
      code: 'REQUEST.INVALID',
      retryable: false,
      errors: [{ field: 'text', message: 'Required' }],
    });
  });

  it('marks dependency failures retryable with status 503', () => {
    const problem = toProblemDetails(unavailable('policy', 'connection refused'));
    expect(problem).toMatchObject({ status: 503, title: 'Service Unavailable', retryable: true });
    expect(problem.instance).toBeUndefined();
    expect(problem.errors).toBeUndefined();
  });

  it('hides the message of unknown errors behind a generic 500', () => {
    const problem = toProblemDetails(new Error('password=hunter2 at /srv/app/db.ts'));
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('INTERNAL');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(toProblemDetails('a string').status).toBe(500);
  });
});

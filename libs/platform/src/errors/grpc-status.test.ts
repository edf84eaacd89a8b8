import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromGrpcError, toGrpcStatus } from './grpc-status.js';
import { conflict, KeelError, notFound, unavailable, validationError } from './keel-error.js';

/** What a client sees: the server's status, details and trailers. */
function asReceived(error: unknown) {
  const sent = toGrpcStatus(error);
  return { code: sent.code, details: sent.details, metadata: sent.metadata, message: `${sent.code} ${sent.details}` };
}

describe('gRPC status mapping', () => {
  it('carries a validation error across the wire with its violations, even non-ASCII ones', () => {
    const original = validationError([{ field: 'query', message: 'ne doit pas être vide' }], 'query: empty');
    const received = fromGrpcError(asReceived(original), { dependency: 'retrieval' });
    expect(received).toBeInstanceOf(KeelError);
    expect(received.httpStatus).toBe(400);
    expect(received.code).toBe(original.code);
    expect(received.violations).toEqual(original.violations);
    expect(received.message).toBe('query: empty');
  });

  it('keeps the callee’s stable code for its verdicts', () => {
    expect(fromGrpcError(asReceived(conflict('held', 'REVIEW.LEASE_HELD')), { dependency: 'x' })).toMatchObject({
      code: 'REVIEW.LEASE_HELD',
      httpStatus: 409,
    });
    expect(fromGrpcError(asReceived(notFound('policy p1')), { dependency: 'x' })).toMatchObject({
      httpStatus: 404,
      message: 'policy p1 not found',
    });
  });

  it('sends unknown errors as INTERNAL without their message', () => {
    const sent = toGrpcStatus(new Error('secret connection string'));
    expect(sent.code).toBe(status.INTERNAL);
    expect(sent.details).not.toContain('secret');
    const received = fromGrpcError(asReceived(new Error('x')), { dependency: 'policy' });
    expect(received).toMatchObject({ httpStatus: 502, code: 'INTERNAL', retryable: false });
  });

  it('turns transport failures into retryable dependency errors', () => {
    const timeout = fromGrpcError(
      { code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded', metadata: new Metadata() },
      { dependency: 'retrieval', deadlineMs: 50 },
    );
    expect(timeout).toMatchObject({
      httpStatus: 503,
      retryable: true,
      code: 'DEPENDENCY.TIMEOUT',
      dependency: 'retrieval',
    });
    expect(timeout.message).toBe('retrieval unavailable: no answer within the 50 ms deadline');
    const down = fromGrpcError(
      { code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() },
      { dependency: 'policy' },
    );
    expect(down).toMatchObject({ httpStatus: 503, retryable: true, code: 'DEPENDENCY.UNAVAILABLE' });
    expect(fromGrpcError(asReceived(unavailable('qdrant', 'down')), { dependency: 'retrieval' }).retryable).toBe(true);
  });

  it('treats UNIMPLEMENTED as a failure of the dependency', () => {
    const error = fromGrpcError({ code: status.UNIMPLEMENTED, details: 'no such method' }, { dependency: 'policy' });
    expect(error).toMatchObject({
      httpStatus: 502,
      code: 'DEPENDENCY.FAILED',
      message: 'policy failed: no such method',
    });
  });
});

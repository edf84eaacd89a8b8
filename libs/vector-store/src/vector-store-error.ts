/**
 * Errors raised by the vector-index adapters, with a stable `code` and a `retryable` flag so
 * callers (an ingestion consumer deciding between retry and dead letter, a gRPC handler
 * picking a status) never parse messages. Local on purpose: ports do not depend on
 * @keel/platform.
 */
export const VectorStoreErrorCode = {
  CollectionNotFound: 'VECTOR.COLLECTION_NOT_FOUND',
  DimensionMismatch: 'VECTOR.DIMENSION_MISMATCH',
  InvalidRequest: 'VECTOR.INVALID_REQUEST',
  /** The engine is unreachable or failed transiently. */
  Unavailable: 'VECTOR.UNAVAILABLE',
  /** Another writer committed first (embedded engine); the write can be retried. */
  WriteConflict: 'VECTOR.WRITE_CONFLICT',
} as const;

export type VectorStoreErrorCode = (typeof VectorStoreErrorCode)[keyof typeof VectorStoreErrorCode];

export class VectorStoreError extends Error {
  readonly code: VectorStoreErrorCode;
  readonly retryable: boolean;

  constructor(code: VectorStoreErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VectorStoreError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'VECTOR.UNAVAILABLE' || code === 'VECTOR.WRITE_CONFLICT');
  }
}

export function invalidRequest(message: string): VectorStoreError {
  return new VectorStoreError(VectorStoreErrorCode.InvalidRequest, message);
}

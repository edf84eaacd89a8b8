/**
 * Errors raised by @keel/text. Like every Keel error they carry a stable `code` and a
 * `retryable` flag, so the edge (HTTP, gRPC, a Kafka consumer) can map them without parsing
 * messages. Kept local on purpose: a port library does not depend on @keel/platform.
 */
export const TextErrorCode = {
  UnsupportedContentType: 'PARSE.UNSUPPORTED_CONTENT_TYPE',
  EmptyDocument: 'PARSE.EMPTY_DOCUMENT',
  InvalidChunkOptions: 'CHUNK.INVALID_OPTIONS',
  EmbeddingModelUnavailable: 'EMBEDDING.MODEL_UNAVAILABLE',
  EmbeddingRequestFailed: 'EMBEDDING.REQUEST_FAILED',
  EmbeddingTimeout: 'EMBEDDING.TIMEOUT',
  EmbeddingInvalidResponse: 'EMBEDDING.INVALID_RESPONSE',
} as const;

export type TextErrorCode = (typeof TextErrorCode)[keyof typeof TextErrorCode];

export class TextError extends Error {
  readonly code: TextErrorCode;
  readonly retryable: boolean;

  constructor(code: TextErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TextError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

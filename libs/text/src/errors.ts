/**
 * Errors raised by @keel/text. Like every Keel error they carry a stable `code` and a
 * `retryable` flag, so the edge (HTTP, gRPC, a Kafka consumer) can map them without parsing
 * messages. Kept local on purpose: a port library does not depend on @keel/platform.
 */
export const TextErrorCode = {
  UnsupportedContentType: 'PARSE.UNSUPPORTED_CONTENT_TYPE',
  EmptyDocument: 'PARSE.EMPTY_DOCUMENT',
  /** The bytes claim a format but cannot be read as it (truncated, damaged). */
  CorruptDocument: 'PARSE.CORRUPT',
  /** A password is needed to read the text. */
  EncryptedDocument: 'PARSE.ENCRYPTED',
  /** Pages without a text layer (a scan): there is nothing to index without OCR. */
  NoTextLayer: 'PARSE.NO_TEXT_LAYER',
  /** Over a limit: bytes, pages, records, or what a zip would expand to (a zip bomb). */
  DocumentTooLarge: 'PARSE.TOO_LARGE',
  /** Parsing ran past its time limit and was stopped. */
  ParseTimeout: 'PARSE.TIMEOUT',
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

/**
 * Dead letters: a message that failed every attempt (or failed in a way retrying cannot fix)
 * is copied to `<topic>.dlq` with the same key and value, its original headers, and these
 * headers describing the failure. The replay tool strips them again.
 */
import { deadLetterTopicOf } from '@keel/contracts';
import type { IncomingMessage, OutgoingMessage } from '../event-bus.js';

export const DeadLetterHeader = {
  error: 'keel-dlq-error',
  errorCode: 'keel-dlq-error-code',
  originalTopic: 'keel-dlq-original-topic',
  originalPartition: 'keel-dlq-original-partition',
  originalOffset: 'keel-dlq-original-offset',
  attempts: 'keel-dlq-attempts',
  consumerGroup: 'keel-dlq-consumer-group',
  failedAt: 'keel-dlq-failed-at',
} as const;

export const deadLetterHeaderPrefix = 'keel-dlq-';

/** Set on a message the replay tool put back: `<dlq topic>/<partition>/<offset>` it came from. */
export const replayedFromHeader = 'keel-replayed-from';

/** Bounds the error text carried in a header; a stack-sized message helps nobody in a DLQ. */
const maxErrorMessageLength = 2_000;

/**
 * Whether retrying could help. Errors say no with `retryable: false` (duck-typed, so
 * `EventDecodeError`, `DuplicateKeyError` and `KeelError` need no shared base class);
 * anything else is presumed transient.
 */
export function isRetryable(error: unknown): boolean {
  return !(typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false);
}

/** The stable code of an error (`code` property), else its name, else `UNKNOWN`. */
export function errorCodeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    if (typeof code === 'number') return String(code);
    if (error instanceof Error && error.name) return error.name;
  }
  return 'UNKNOWN';
}

export function errorMessageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > maxErrorMessageLength ? `${text.slice(0, maxErrorMessageLength)}...` : text;
}

export interface DeliveryFailure {
  error: unknown;
  attempts: number;
  groupId: string;
  failedAt: Date;
}

export interface DeadLetter {
  topic: string;
  message: OutgoingMessage;
}

export function deadLetterFor(message: IncomingMessage, failure: DeliveryFailure): DeadLetter {
  return {
    topic: deadLetterTopicOf(message.topic),
    message: {
      key: message.key,
      value: message.value,
      headers: {
        // A message that already went through the DLQ once gets fresh failure headers.
        ...withoutDeadLetterHeaders(message.headers),
        [DeadLetterHeader.error]: errorMessageOf(failure.error),
        [DeadLetterHeader.errorCode]: errorCodeOf(failure.error),
        [DeadLetterHeader.originalTopic]: message.topic,
        [DeadLetterHeader.originalPartition]: String(message.partition),
        [DeadLetterHeader.originalOffset]: message.offset,
        [DeadLetterHeader.attempts]: String(failure.attempts),
        [DeadLetterHeader.consumerGroup]: failure.groupId,
        [DeadLetterHeader.failedAt]: failure.failedAt.toISOString(),
      },
    },
  };
}

export function withoutDeadLetterHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(deadLetterHeaderPrefix)));
}

/**
 * The consumer side both adapters share: run the handler, retry it with backoff, dead-letter
 * the message when retrying is exhausted or pointless, and tell the adapter whether the offset
 * may now be committed. Adapters own fetching and committing; this owns what happens between.
 */
import type { IncomingMessage, MessageHandler, OutgoingMessage, RetryPolicy } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { abortableSleep } from './abortable-sleep.js';
import { deadLetterFor, errorCodeOf, errorMessageOf, isRetryable } from './dead-letter.js';
import { backoffDelayMs } from './retry-policy.js';

export interface DeliveryRequest {
  message: IncomingMessage;
  handler: MessageHandler;
  policy: RetryPolicy;
  groupId: string;
  /** Appends to the dead-letter topic and resolves once the log has acknowledged it. */
  publishDeadLetter(topic: string, message: OutgoingMessage): Promise<void>;
  /**
   * Aborted when the subscription stops or loses the partition: a pending backoff ends and
   * the message is abandoned uncommitted, for the next owner of the partition to redeliver.
   */
  signal: AbortSignal;
  logger: EventBusLogger;
  random?: () => number;
  now?: () => Date;
}

/**
 * `handled` and `dead-lettered` mean the offset may be committed; `abandoned` means it must not
 * be (the subscription stopped between attempts).
 */
export type DeliveryOutcome =
  | { kind: 'handled'; attempts: number }
  | { kind: 'dead-lettered'; attempts: number; deadLetterTopic: string }
  | { kind: 'abandoned'; attempts: number };

/**
 * Dead-lettering failed, so the message exists nowhere but in its partition: committing past it
 * would lose it. The adapter stops consuming and reports this instead.
 */
export class DeadLetterPublishError extends Error {
  readonly code = 'EVENT_BUS.DEAD_LETTER_FAILED';
  constructor(
    readonly deadLetterTopic: string,
    readonly original: Pick<IncomingMessage, 'topic' | 'partition' | 'offset'>,
    cause: unknown,
  ) {
    super(
      `cannot dead-letter ${original.topic}/${original.partition}@${original.offset} to ${deadLetterTopic}: ` +
        `${errorMessageOf(cause)}; consumption stopped so the message is not lost`,
      { cause },
    );
    this.name = 'DeadLetterPublishError';
  }
}

export async function deliverMessage(request: DeliveryRequest): Promise<DeliveryOutcome> {
  const { message, policy, logger, signal } = request;
  const where = { topic: message.topic, partition: message.partition, offset: message.offset, group: request.groupId };
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let failure: unknown;
    try {
      await request.handler(message);
      return { kind: 'handled', attempts };
    } catch (error) {
      failure = error;
    }
    const retryable = isRetryable(failure);
    if (!retryable || attempts >= policy.maxAttempts) {
      const deadLetterTopic = await deadLetter(request, failure, attempts);
      logger.error(
        { ...where, attempts, retryable, err: failure, errorCode: errorCodeOf(failure), deadLetterTopic },
        'message dead-lettered',
      );
      return { kind: 'dead-lettered', attempts, deadLetterTopic };
    }
    const delayMs = backoffDelayMs(attempts, policy, request.random);
    logger.warn(
      { ...where, attempt: attempts, maxAttempts: policy.maxAttempts, delayMs, error: errorMessageOf(failure) },
      'message handler failed; retrying',
    );
    if (!(await abortableSleep(delayMs, signal))) {
      logger.info({ ...where, attempts }, 'subscription stopping; message left uncommitted for redelivery');
      return { kind: 'abandoned', attempts };
    }
  }
}

async function deadLetter(request: DeliveryRequest, error: unknown, attempts: number): Promise<string> {
  const letter = deadLetterFor(request.message, {
    error,
    attempts,
    groupId: request.groupId,
    failedAt: request.now?.() ?? new Date(),
  });
  try {
    await request.publishDeadLetter(letter.topic, letter.message);
  } catch (cause) {
    throw new DeadLetterPublishError(letter.topic, request.message, cause);
  }
  return letter.topic;
}

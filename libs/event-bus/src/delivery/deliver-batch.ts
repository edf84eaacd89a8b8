/**
 * Batched delivery, shared by both adapters: one call of the batch handler for consecutive
 * messages of a partition, then the messages it gave back through the per-message delivery
 * (retries, dead-lettering), in offset order. The adapter learns which messages are finished, in
 * order, so that it commits exactly the finished prefix.
 */
import type { BatchHandler, IncomingMessage } from '../event-bus.js';
import type { EventBusLogger } from '../logger.js';
import { errorMessageOf } from './dead-letter.js';
import type { DeliveryOutcome } from './deliver-message.js';

export interface BatchDeliveryRequest {
  messages: IncomingMessage[];
  handler: BatchHandler;
  /** Delivers one message alone (the adapter's `deliverMessage` call). */
  deliverOne(message: IncomingMessage): Promise<DeliveryOutcome>;
  /** Called in offset order for every finished message: its offset may be committed. */
  finished(message: IncomingMessage): void;
  logger: EventBusLogger;
  groupId: string;
}

/** `abandoned`: the subscription stopped before every message was finished (the rest is redelivered). */
export async function deliverBatch(request: BatchDeliveryRequest): Promise<'done' | 'abandoned'> {
  const { messages } = request;
  let unfinished: Set<IncomingMessage>;
  try {
    const given = await request.handler(messages);
    unfinished = new Set(given);
    const foreign = given.filter((message) => !messages.includes(message));
    if (foreign.length > 0) throw new TypeError('a batch handler gave back messages that were not in its batch');
  } catch (error) {
    const first = messages[0] as IncomingMessage;
    request.logger.warn(
      {
        topic: first.topic,
        partition: first.partition,
        offset: first.offset,
        group: request.groupId,
        count: messages.length,
        error: errorMessageOf(error),
      },
      'batch handler failed; delivering its messages one by one',
    );
    unfinished = new Set(messages);
  }
  for (const message of messages) {
    if (unfinished.has(message)) {
      const outcome = await request.deliverOne(message);
      if (outcome.kind === 'abandoned') return 'abandoned';
    }
    request.finished(message);
  }
  return 'done';
}

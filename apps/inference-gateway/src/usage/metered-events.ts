/**
 * The gateway's event publisher, metered: each `keel.inference.completed.v1` goes through
 * `Metering.complete` first (priced, settled, written to the ledger) and leaves with its cost,
 * currency, cache hit and key id. Other topics pass through unchanged. Both use cases (grounded
 * answers and pass-through completions) publish through it, so neither knows about money.
 */
import type { TopicName, TopicPayload } from '@keel/contracts';
import type { EventPublisher } from '@keel/event-bus';
import type { InferenceCompletedPayload } from '../answering/completion-event.js';
import type { Metering } from './metering.js';

type Publisher = Pick<EventPublisher, 'publish'>;

export function meteredEvents(events: Publisher, metering: Pick<Metering, 'complete'>): Publisher {
  return {
    async publish<N extends TopicName>(
      topic: N,
      payload: TopicPayload<N>,
      options?: Parameters<Publisher['publish']>[2],
    ) {
      if (topic !== 'keel.inference.completed.v1') return events.publish(topic, payload, options);
      const priced = await metering.complete(payload as InferenceCompletedPayload);
      return events.publish(topic, priced as TopicPayload<N>, options);
    },
  };
}

/** A publisher for unit tests: records what would have been published, and can fail on demand. */
import type { TopicName, TopicPayload } from '@keel/contracts';
import type { EventPublisher, PublishEventOptions } from '../typed-events.js';

export interface PublishedEvent {
  topic: TopicName;
  payload: unknown;
  options: PublishEventOptions | undefined;
}

export interface RecordingPublisher extends Pick<EventPublisher, 'publish'> {
  published: PublishedEvent[];
  /** The next `count` publishes reject, as when the bus is down. */
  failNext(count?: number): void;
  of<N extends TopicName>(topic: N): TopicPayload<N>[];
}

export function createRecordingPublisher(): RecordingPublisher {
  const published: PublishedEvent[] = [];
  let failures = 0;
  return {
    published,
    failNext(count = 1) {
      failures = count;
    },
    async publish(topic, payload, options) {
      if (failures > 0) {
        failures--;
        throw new Error('event bus unavailable');
      }
      published.push({ topic, payload, options });
    },
    of<N extends TopicName>(topic: N) {
      return published.filter((event) => event.topic === topic).map((event) => event.payload as TopicPayload<N>);
    },
  };
}

/** For tests that watch a topic: every payload published to it, in arrival order. */
import type { TopicName, TopicPayload } from '@keel/contracts';
import type { EventBus, Subscription } from '../event-bus.js';
import { subscribeToEvents } from '../typed-events.js';

export interface RecordedEvents<N extends TopicName> {
  payloads: TopicPayload<N>[];
  subscription: Subscription;
}

/** Subscribes `groupId` (a group of its own, so the service's own consumers are not disturbed). */
export async function recordEvents<N extends TopicName>(
  bus: EventBus,
  topic: N,
  groupId: string,
): Promise<RecordedEvents<N>> {
  const payloads: TopicPayload<N>[] = [];
  const subscription = await subscribeToEvents(bus, {
    groupId,
    topic,
    handle: async ({ payload }) => {
      payloads.push(payload);
    },
  });
  return { payloads, subscription };
}

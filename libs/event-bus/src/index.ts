export { DeadLetterHeader, isRetryable, replayedFromHeader } from './delivery/dead-letter.js';
export { defaultRetryPolicy } from './delivery/retry-policy.js';
export type {
  BatchDelivery,
  BatchHandler,
  EventBus,
  HealthReport,
  IncomingMessage,
  MessageHandler,
  OutgoingMessage,
  RetryPolicy,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './event-bus.js';
export type { EventBusLogger } from './logger.js';
export { partitionForKey } from './partitioning/murmur2.js';
export {
  type ReplayedLetter,
  type ReplayOptions,
  type ReplayReport,
  replayDeadLetters,
} from './replay/replay-dead-letters.js';
export { InvalidTopicNameError } from './topic-name.js';
export {
  type BatchedEvent,
  EventPublisher,
  type EventPublisherOptions,
  type EventSubscriptionOptions,
  ensureKeelTopics,
  type PublishEventOptions,
  subscribeToEvents,
} from './typed-events.js';

/**
 * Kafka's rules for topic names, enforced by the embedded bus too, so a name that would fail
 * on the cluster fails on a laptop first. The dead-letter twin of a topic is `<topic>.dlq`.
 */

const maxTopicNameLength = 249;
const legalTopicName = /^[a-zA-Z0-9._-]+$/;

export class InvalidTopicNameError extends Error {
  readonly code = 'EVENT_BUS.INVALID_TOPIC';
  readonly retryable = false;
  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super(`invalid topic name "${topic.length > 60 ? `${topic.slice(0, 60)}...` : topic}": ${reason}`);
    this.name = 'InvalidTopicNameError';
  }
}

export function assertValidTopicName(topic: string): void {
  if (topic.length === 0) throw new InvalidTopicNameError(topic, 'it is empty');
  if (topic === '.' || topic === '..') throw new InvalidTopicNameError(topic, 'it cannot be "." or ".."');
  if (topic.length > maxTopicNameLength) {
    throw new InvalidTopicNameError(topic, `it is ${topic.length} characters long; Kafka allows ${maxTopicNameLength}`);
  }
  if (!legalTopicName.test(topic)) {
    throw new InvalidTopicNameError(topic, 'only ASCII letters, digits, ".", "_" and "-" are allowed');
  }
}

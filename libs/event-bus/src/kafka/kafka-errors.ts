/**
 * Turns kafkajs's connection failures into one clear, coded error: services print
 * `cannot reach Kafka at <brokers>` at startup instead of a retry-exhaustion stack.
 */

const connectionFailureNames = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
]);

export class KafkaUnavailableError extends Error {
  readonly code = 'DEPENDENCY.KAFKA_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    readonly brokers: readonly string[],
    cause: unknown,
  ) {
    super(`cannot reach Kafka at ${brokers.join(',')}: ${rootCauseMessage(cause)}`, { cause });
    this.name = 'KafkaUnavailableError';
  }
}

/** kafkajs wraps the socket error in retry errors; anything connection-shaped in the chain counts. */
export function isConnectionFailure(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link instanceof Error && connectionFailureNames.has(link.name)) return true;
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection timeout/i.test(messageOf(link))) return true;
  }
  return false;
}

/** A connection failure becomes a KafkaUnavailableError; anything else passes through unchanged. */
export function toKafkaError(brokers: readonly string[], error: unknown): unknown {
  return !(error instanceof KafkaUnavailableError) && isConnectionFailure(error)
    ? new KafkaUnavailableError(brokers, error)
    : error;
}

function* causeChain(error: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  let current = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    yield current;
    current =
      (current as { cause?: unknown; originalError?: unknown }).cause ??
      (current as { originalError?: unknown }).originalError;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rootCauseMessage(error: unknown): string {
  let last: unknown = error;
  for (const link of causeChain(error)) last = link;
  return messageOf(last);
}

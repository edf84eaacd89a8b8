import { describe, expect, it } from 'vitest';
import { isConnectionFailure, KafkaUnavailableError, toKafkaError } from './kafka-errors.js';

describe('Kafka connection errors', () => {
  const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), {
    name: 'KafkaJSConnectionError',
  });

  it('recognises a connection failure anywhere in the cause chain', () => {
    const exhausted = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: refused,
    });
    expect(isConnectionFailure(exhausted)).toBe(true);
    expect(isConnectionFailure(new Error('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
  });

  it('names the brokers and the root cause', () => {
    const error = toKafkaError(['10.0.0.1:9092', '10.0.0.2:9092'], { name: 'x', message: 'y', cause: refused });
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as Error).message).toBe(
      'cannot reach Kafka at 10.0.0.1:9092,10.0.0.2:9092: Connection error: connect ECONNREFUSED 10.0.0.1:9092',
    );
    const other = new Error('INVALID_TOPIC_EXCEPTION');
    expect(toKafkaError(['b:9092'], other)).toBe(other);
  });
});

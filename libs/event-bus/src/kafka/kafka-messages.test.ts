import { describe, expect, it } from 'vitest';
import { decodeHeaders, toIncomingMessage, toKafkaMessage } from './kafka-messages.js';

describe('kafka message conversions', () => {
  it('decodes header buffers as UTF-8 and keeps the last of repeated headers', () => {
    expect(
      decodeHeaders({
        plain: 'text',
        bytes: Buffer.from('grüße'),
        repeated: [Buffer.from('first'), 'last'],
        missing: undefined,
      }),
    ).toEqual({ plain: 'text', bytes: 'grüße', repeated: 'last' });
    expect(decodeHeaders(undefined)).toEqual({});
  });

  it('hands consumers a plain Uint8Array, an empty key for a null key, and a numeric timestamp', () => {
    const incoming = toIncomingMessage('t', 2, {
      key: null,
      value: Buffer.from([1, 2, 3]),
      timestamp: '1700000000000',
      attributes: 0,
      offset: '7',
      headers: {},
    });
    expect(incoming).toEqual({
      topic: 't',
      partition: 2,
      offset: '7',
      key: '',
      value: new Uint8Array([1, 2, 3]),
      headers: {},
      timestamp: 1_700_000_000_000,
    });
    expect(Object.getPrototypeOf(incoming.value)).toBe(Uint8Array.prototype);
  });

  it('sends the bytes of a Uint8Array view without copying the whole underlying buffer', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 9]);
    const message = toKafkaMessage({ key: 'k', value: backing.subarray(2, 4), headers: { h: 'v' } });
    expect([...(message.value as Buffer)]).toEqual([1, 2]);
    expect(message).toMatchObject({ key: 'k', headers: { h: 'v' } });
  });
});

/** Conversions between the port's messages and kafkajs's. */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { IncomingMessage, OutgoingMessage } from '../event-bus.js';

export function toKafkaMessage(message: OutgoingMessage): Message {
  return {
    key: message.key,
    // A view, not a copy: kafkajs encodes the bytes before send() resolves.
    value: Buffer.from(message.value.buffer, message.value.byteOffset, message.value.byteLength),
    headers: { ...message.headers },
  };
}

export function toIncomingMessage(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const value = message.value ?? Buffer.alloc(0);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    // A plain Uint8Array, like the embedded bus hands out, rather than a Buffer subclass.
    value: new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

/** Kafka allows a header name twice (kafkajs then gives an array); like Java's lastHeader, the last wins. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    decoded[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return decoded;
}

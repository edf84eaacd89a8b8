/**
 * The event envelope: the headers every Keel event carries and the codec between typed
 * payloads and bytes. Protobuf by default; upstream systems may publish JSON (the protobuf
 * JSON mapping) and say so with `content-type: application/json`.
 */
import { randomFillSync } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { type TopicName, type TopicPayload, topics } from './topics.js';

export const EnvelopeHeader = {
  eventId: 'keel-event-id',
  eventType: 'keel-event-type',
  tenant: 'keel-tenant',
  idempotencyKey: 'keel-idempotency-key',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export const ContentType = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
} as const;

export type EventContentType = (typeof ContentType)[keyof typeof ContentType];

export interface EventMeta {
  eventId: string;
  eventType: string;
  tenantId: string;
  /** Consumers de-duplicate on this; defaults to the event id. */
  idempotencyKey: string;
  contentType: EventContentType;
  traceparent?: string;
  tracestate?: string;
}

export interface EncodedEvent {
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
}

export interface EncodeOptions {
  idempotencyKey?: string;
  contentType?: EventContentType;
  /** W3C trace context to carry; the event bus's publisher fills these from the active span. */
  traceparent?: string;
  tracestate?: string;
}

/** A message that can never be decoded: retrying cannot help, so it goes to the DLQ at once. */
export class EventDecodeError extends Error {
  readonly code = 'EVENT.UNDECODABLE';
  readonly retryable = false;
  constructor(
    readonly topic: string,
    message: string,
  ) {
    super(`cannot decode event on ${topic}: ${message}`);
    this.name = 'EventDecodeError';
  }
}

/**
 * uuid's v7 draws each id's 16 random bytes from WebCrypto, whose argument checks cost more than
 * the id itself on a hot path (several events per gateway request). The bytes come from a pool
 * refilled by node:crypto instead; the state keeps ids monotonic within a millisecond, as uuid's
 * own does (RFC 9562 method 1: a counter seeded at random when the clock moves).
 */
const randomPool = new Uint8Array(4096);
let randomOffset = randomPool.length;
const v7State = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

function nextRandom16(): Uint8Array {
  if (randomOffset + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  const bytes = randomPool.subarray(randomOffset, randomOffset + 16);
  randomOffset += 16;
  return bytes;
}

export function newEventId(): string {
  const random = nextRandom16();
  const now = Date.now();
  if (now > v7State.msecs) {
    // 31 bits, as uuid seeds its counter.
    v7State.seq =
      (((random[6] ?? 0) & 0x7f) << 24) | ((random[7] ?? 0) << 16) | ((random[8] ?? 0) << 8) | (random[9] ?? 0);
    v7State.msecs = now;
  } else {
    v7State.seq = (v7State.seq + 1) | 0;
    if (v7State.seq === 0) v7State.msecs++;
  }
  return uuidv7({ random, msecs: v7State.msecs, seq: v7State.seq });
}

export function encodeEvent<N extends TopicName>(
  topicName: N,
  payload: TopicPayload<N>,
  options: EncodeOptions = {},
): EncodedEvent {
  // The registry's union of definitions cannot be indexed generically without this widening.
  const definition = topics[topicName] as unknown as (typeof topics)[TopicName] & {
    codec: { encode(p: unknown): { finish(): Uint8Array }; toJSON(p: unknown): unknown };
    partitionKey(p: unknown): string;
    tenantOf(p: unknown): string;
  };
  const tenantId = definition.tenantOf(payload);
  if (!tenantId) throw new Error(`an event on ${topicName} needs a tenant id`);
  const eventId = newEventId();
  const contentType = options.contentType ?? ContentType.protobuf;
  const value =
    contentType === ContentType.json
      ? new TextEncoder().encode(JSON.stringify(definition.codec.toJSON(payload)))
      : definition.codec.encode(payload).finish();
  const headers: Record<string, string> = {
    [EnvelopeHeader.eventId]: eventId,
    [EnvelopeHeader.eventType]: definition.eventType,
    [EnvelopeHeader.tenant]: tenantId,
    [EnvelopeHeader.idempotencyKey]: options.idempotencyKey ?? eventId,
    [EnvelopeHeader.contentType]: contentType,
  };
  if (options.traceparent) headers[EnvelopeHeader.traceparent] = options.traceparent;
  if (options.tracestate) headers[EnvelopeHeader.tracestate] = options.tracestate;
  return { key: definition.partitionKey(payload), value, headers };
}

export interface DecodedEvent<T> {
  payload: T;
  meta: EventMeta;
}

export function decodeEvent<N extends TopicName>(
  topicName: N,
  message: { value: Uint8Array; headers: Record<string, string> },
): DecodedEvent<TopicPayload<N>> {
  const definition = topics[topicName] as unknown as {
    eventType: string;
    codec: { decode(input: Uint8Array): unknown; fromJSON(object: unknown): unknown };
    tenantOf(p: unknown): string;
  };
  const headers = message.headers;
  const declaredType = headers[EnvelopeHeader.eventType];
  if (declaredType && declaredType !== definition.eventType) {
    throw new EventDecodeError(topicName, `event type ${declaredType} does not belong on this topic`);
  }
  const contentType = (headers[EnvelopeHeader.contentType] ?? ContentType.protobuf).split(';')[0]?.trim();
  let payload: unknown;
  try {
    if (contentType === ContentType.json) {
      payload = definition.codec.fromJSON(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(message.value)));
    } else if (contentType === ContentType.protobuf) {
      payload = definition.codec.decode(message.value);
    } else {
      throw new Error(`unsupported content-type ${contentType}`);
    }
  } catch (error) {
    throw new EventDecodeError(topicName, error instanceof Error ? error.message : String(error));
  }
  const tenantId = definition.tenantOf(payload);
  if (!tenantId) throw new EventDecodeError(topicName, 'the payload has no tenant id');
  const headerTenant = headers[EnvelopeHeader.tenant];
  if (headerTenant && headerTenant !== tenantId) {
    throw new EventDecodeError(topicName, `header tenant ${headerTenant} differs from payload tenant ${tenantId}`);
  }
  const eventId = headers[EnvelopeHeader.eventId] ?? '';
  const meta: EventMeta = {
    eventId,
    eventType: definition.eventType,
    tenantId,
    idempotencyKey: headers[EnvelopeHeader.idempotencyKey] ?? eventId,
    contentType: contentType === ContentType.json ? ContentType.json : ContentType.protobuf,
  };
  if (headers[EnvelopeHeader.traceparent]) meta.traceparent = headers[EnvelopeHeader.traceparent];
  if (headers[EnvelopeHeader.tracestate]) meta.tracestate = headers[EnvelopeHeader.tracestate];
  return { payload: payload as TopicPayload<N>, meta };
}

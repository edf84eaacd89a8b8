import { describe, expect, it } from 'vitest';
import { ContentType, decodeEvent, EnvelopeHeader, EventDecodeError, encodeEvent, newEventId } from './envelope.js';

const indexed = {
  tenantId: 'acme',
  documentId: 'doc-1',
  documentVersion: 'v1',
  jobId: 'job-1',
  title: 'Handbook',
  source: 'https://intranet/handbook',
  chunkCount: 3,
  parser: 'markdown',
  embedder: 'wink-sg-100d',
  contentSha256: 'abc',
  indexedAt: new Date('2026-01-02T03:04:05.000Z'),
  unchanged: false,
};

describe('event envelope', () => {
  it('gives every event a distinct UUIDv7, in increasing order within a millisecond too', () => {
    const ids = Array.from({ length: 20_000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (let index = 1; index < ids.length; index++) expect((ids[index] ?? '') > (ids[index - 1] ?? '')).toBe(true);
    // The first 48 bits are the clock's milliseconds.
    const msecs = Number.parseInt((ids[0] ?? '').replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(msecs - Date.now())).toBeLessThan(60_000);
  });

  it('round-trips a protobuf payload with its headers and partition key', () => {
    const encoded = encodeEvent('keel.document.indexed.v1', indexed, {
      idempotencyKey: 'job-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(encoded.key).toBe('acme:doc-1');
    expect(encoded.headers[EnvelopeHeader.eventType]).toBe('keel.events.v1.DocumentIndexed');
    expect(encoded.headers[EnvelopeHeader.contentType]).toBe(ContentType.protobuf);
    expect(encoded.headers[EnvelopeHeader.eventId]).toMatch(/^[0-9a-f-]{36}$/);
    const decoded = decodeEvent('keel.document.indexed.v1', encoded);
    expect(decoded.payload).toEqual(indexed);
    expect(decoded.meta).toMatchObject({
      tenantId: 'acme',
      idempotencyKey: 'job-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
  });

  it('accepts JSON from upstream systems when the content-type says so', () => {
    const json = JSON.stringify({ tenantId: 'acme', documentId: 'd', text: 'hello', contentType: 'text/plain' });
    const decoded = decodeEvent('keel.ingest.requested.v1', {
      value: new TextEncoder().encode(json),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(decoded.payload.text).toBe('hello');
    expect(decoded.meta.contentType).toBe(ContentType.json);
  });

  it('rejects undecodable bytes as a non-retryable error', () => {
    const attempt = () =>
      decodeEvent('keel.ingest.requested.v1', {
        value: new TextEncoder().encode('{not json'),
        headers: { 'content-type': 'application/json' },
      });
    expect(attempt).toThrow(EventDecodeError);
    try {
      attempt();
    } catch (error) {
      expect((error as EventDecodeError).retryable).toBe(false);
    }
  });

  it('rejects an event without a tenant and one whose type belongs elsewhere', () => {
    const noTenant = new TextEncoder().encode(JSON.stringify({ documentId: 'd' }));
    expect(() =>
      decodeEvent('keel.ingest.requested.v1', { value: noTenant, headers: { 'content-type': 'application/json' } }),
    ).toThrow(/tenant/);
    const encoded = encodeEvent('keel.document.indexed.v1', indexed);
    expect(() => decodeEvent('keel.ingest.requested.v1', encoded)).toThrow(/does not belong/);
  });

  it('refuses to encode an event without a tenant', () => {
    expect(() => encodeEvent('keel.document.indexed.v1', { ...indexed, tenantId: '' })).toThrow(/tenant/);
  });
});

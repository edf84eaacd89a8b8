import { describe, expect, it } from 'vitest';
import {
  chunkId,
  documentIdForEvent,
  eventContentDigest,
  fingerprintOf,
  jobIdForEvent,
  versionId,
} from './identifiers.js';

const base = {
  contentSha256: 'a'.repeat(64),
  contentType: 'text/plain',
  title: 'T',
  source: 'S',
  metadata: { b: '2', a: '1' },
  aclGroups: ['x', 'y'],
  embedderId: 'e1',
};

describe('identifiers', () => {
  const content = {
    text: 'Office hours are 8 to 5.',
    title: 'Hours',
    source: 'wiki://hours',
    contentType: 'text/plain',
    metadata: { team: 'ops', year: '2025' },
    aclGroups: ['ops'],
  };

  it('digests what an event asks to index, ignoring the order of metadata and groups', () => {
    const digest = eventContentDigest(content);
    expect(eventContentDigest({ ...content, metadata: { year: '2025', team: 'ops' } })).toBe(digest);
    expect(eventContentDigest({ ...content, aclGroups: ['ops', 'ops'] })).toBe(digest);
    for (const change of [
      { text: 'Office hours are 9 to 5.' },
      { title: 'Opening hours' },
      { source: 'wiki://hours-v2' },
      { contentType: 'text/markdown' },
      { metadata: { team: 'ops' } },
      { aclGroups: [] },
      { aclGroups: ['ops', 'hr'] },
    ]) {
      expect(eventContentDigest({ ...content, ...change }), JSON.stringify(change)).not.toBe(digest);
    }
    // ("ab","c") and ("a","bc") must not collide.
    expect(eventContentDigest({ ...content, text: 'ab', title: 'c' })).not.toBe(
      eventContentDigest({ ...content, text: 'a', title: 'bc' }),
    );
  });

  it('derives one document per tenant and content when the event names none', () => {
    const digest = eventContentDigest(content);
    expect(documentIdForEvent('acme', digest)).toBe(documentIdForEvent('acme', digest));
    expect(documentIdForEvent('acme', digest)).toMatch(/^doc-[0-9a-f]{32}$/);
    expect(documentIdForEvent('globex', digest)).not.toBe(documentIdForEvent('acme', digest));
    // Two events without Keel headers and with different documents: two documents (not one id '').
    expect(documentIdForEvent('acme', eventContentDigest({ ...content, text: 'Other.' }))).not.toBe(
      documentIdForEvent('acme', digest),
    );
  });

  it('derives one job per document, content and idempotency key: a redelivery is the same job, an update a new one', () => {
    const digest = eventContentDigest(content);
    const updated = eventContentDigest({ ...content, text: 'Office hours are 9 to 5.' });
    const job = jobIdForEvent('acme', 'hours', digest, '');
    expect(job).toMatch(/^evt-[0-9a-f]{32}$/);
    expect(jobIdForEvent('acme', 'hours', digest, '')).toBe(job);
    expect(jobIdForEvent('acme', 'hours', updated, '')).not.toBe(job);
    expect(jobIdForEvent('acme', 'other-doc', digest, '')).not.toBe(job);
    expect(jobIdForEvent('globex', 'hours', digest, '')).not.toBe(job);
    expect(jobIdForEvent('acme', 'hours', digest, 'key-1')).not.toBe(job);
    expect(jobIdForEvent('acme', 'hours', digest, 'key-1')).toBe(jobIdForEvent('acme', 'hours', digest, 'key-1'));
  });

  it('fingerprints ignore the order of metadata entries and ACL groups', () => {
    expect(fingerprintOf(base)).toBe(fingerprintOf({ ...base, metadata: { a: '1', b: '2' }, aclGroups: ['y', 'x'] }));
  });

  it('fingerprints change with anything that reaches a chunk payload or vector', () => {
    const original = fingerprintOf(base);
    for (const change of [
      { contentSha256: 'b'.repeat(64) },
      { title: 'T2' },
      { source: 'S2' },
      { metadata: { a: '1' } },
      { aclGroups: ['x'] },
      { embedderId: 'e2' },
      { contentType: 'text/markdown' },
    ]) {
      expect(fingerprintOf({ ...base, ...change }), JSON.stringify(change)).not.toBe(original);
    }
  });

  it('names versions per tenant and document, so chunk ids never collide across tenants', () => {
    const fingerprint = fingerprintOf(base);
    expect(versionId('acme', 'doc', fingerprint)).toBe(versionId('acme', 'doc', fingerprint));
    expect(versionId('acme', 'doc', fingerprint)).not.toBe(versionId('globex', 'doc', fingerprint));
    expect(versionId('acme', 'doc', fingerprint)).not.toBe(versionId('acme', 'doc2', fingerprint));
    expect(chunkId('doc', 'v1', 3)).toBe('doc:v1:3');
  });
});

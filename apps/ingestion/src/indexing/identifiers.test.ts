import { describe, expect, it } from 'vitest';
import { chunkId, documentIdForEvent, fingerprintOf, jobIdForEvent, versionId } from './identifiers.js';

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
  it('derives the same ids from the same event, and different ids per tenant', () => {
    expect(jobIdForEvent('acme', 'key-1')).toBe(jobIdForEvent('acme', 'key-1'));
    expect(jobIdForEvent('acme', 'key-1')).not.toBe(jobIdForEvent('globex', 'key-1'));
    expect(documentIdForEvent('acme', 'key-1')).not.toBe(jobIdForEvent('acme', 'key-1'));
    expect(documentIdForEvent('acme', 'key-1')).toMatch(/^doc-[0-9a-f]{32}$/);
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

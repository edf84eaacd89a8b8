import { describe, expect, it } from 'vitest';
import { findViolations, normalizeAclGroups } from './ingest-request.js';

const valid = {
  documentId: 'handbook-2024.v2',
  title: 'Handbook',
  source: 'https://intranet/handbook',
  contentType: 'text/plain',
  metadata: { department: 'hr', year: '2024' },
  aclGroups: ['*'],
};

describe('ingest request limits', () => {
  it('accepts a well-formed request', () => {
    expect(findViolations(valid)).toEqual([]);
  });

  it('names every offending field', () => {
    const violations = findViolations({
      ...valid,
      documentId: 'a/b',
      title: 't'.repeat(513),
      metadata: { 'nested.key': 'x', ok: 'v'.repeat(1025) },
      aclGroups: ['g'.repeat(129)],
    });
    expect(violations.map((violation) => violation.field)).toEqual([
      'documentId',
      'title',
      'metadata.nested.key',
      'metadata.ok',
      'aclGroups.0',
    ]);
  });

  it('opens a document to the whole tenant when no groups are given', () => {
    expect(normalizeAclGroups(undefined)).toEqual(['*']);
    expect(normalizeAclGroups([])).toEqual(['*']);
    expect(normalizeAclGroups([' ', ''])).toEqual(['*']);
    expect(normalizeAclGroups(['hr', 'hr', ' finance '])).toEqual(['hr', 'finance']);
  });
});

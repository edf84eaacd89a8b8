import { describe, expect, it } from 'vitest';
import { decideWrite, mayRead } from './document-access.js';

const nobody = { aclGroups: [] as string[] };
const lawyer = { aclGroups: ['legal'] };
const partner = { aclGroups: ['legal', 'finance'] };

const allowed = { allowed: true };
const notFound = { allowed: false, notFound: true };
const groupNotHeld = { allowed: false, notFound: false, code: 'DOCUMENT.ACL_GROUP_NOT_HELD' };
const widening = { allowed: false, notFound: false, code: 'DOCUMENT.ACL_WIDENING_FORBIDDEN' };

describe('reading a document', () => {
  it('needs a shared group; a tenant-wide document is everyone’s', () => {
    expect(mayRead([], ['*'])).toBe(true);
    expect(mayRead([], undefined)).toBe(true);
    expect(mayRead([], ['legal'])).toBe(false);
    expect(mayRead(['finance'], ['legal'])).toBe(false);
    expect(mayRead(['finance'], ['legal', 'finance'])).toBe(true);
    // '*' held by a caller is no master key.
    expect(mayRead(['*'], ['legal'])).toBe(false);
  });
});

describe('writing a document', () => {
  it('treats a document the caller may not read as absent, whatever it asks for', () => {
    for (const requested of [undefined, ['*'], ['legal']]) {
      expect(decideWrite(nobody, ['legal'], requested)).toMatchObject(notFound);
    }
  });

  it('lets a key without groups create and change only tenant-wide documents', () => {
    expect(decideWrite(nobody, null, undefined)).toMatchObject(allowed);
    expect(decideWrite(nobody, null, ['*'])).toMatchObject(allowed);
    expect(decideWrite(nobody, ['*'], ['*'])).toMatchObject(allowed);
    expect(decideWrite(nobody, null, ['legal'])).toMatchObject(groupNotHeld);
    expect(decideWrite(nobody, ['*'], ['legal'])).toMatchObject(groupNotHeld);
  });

  it('lets a caller name only groups it belongs to, or that the document already has', () => {
    expect(decideWrite(lawyer, null, ['legal'])).toMatchObject(allowed);
    expect(decideWrite(lawyer, null, ['legal', 'finance'])).toMatchObject(groupNotHeld);
    expect(decideWrite(lawyer, ['legal', 'finance'], ['legal', 'finance'])).toMatchObject(allowed);
  });

  it('keeps the groups when none are asked for', () => {
    expect(decideWrite(lawyer, ['legal', 'finance'], undefined)).toMatchObject(allowed);
  });

  it('lets any reader narrow a document', () => {
    expect(decideWrite(lawyer, ['legal', 'finance'], ['legal'])).toMatchObject(allowed);
    expect(decideWrite(lawyer, ['*'], ['legal'])).toMatchObject(allowed);
  });

  it('lets only a caller in every group of the document widen it', () => {
    expect(decideWrite(lawyer, ['legal', 'finance'], ['*'])).toMatchObject(widening);
    expect(decideWrite(partner, ['legal'], ['legal', 'finance'])).toMatchObject(allowed);
    expect(decideWrite(partner, ['legal', 'finance'], ['*'])).toMatchObject(allowed);
    expect(decideWrite({ aclGroups: ['legal', 'hr'] }, ['legal', 'finance'], ['legal', 'finance', 'hr'])).toMatchObject(
      widening,
    );
    expect(decideWrite({ aclGroups: ['legal', 'hr'] }, ['legal'], ['legal', 'hr'])).toMatchObject(allowed);
  });
});

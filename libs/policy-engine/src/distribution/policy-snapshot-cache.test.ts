import { PolicyChanged } from '@keel/contracts/events/v1/policy';
import { describe, expect, it } from 'vitest';
import { type PolicySnapshot, PolicySnapshotCache, snapshotOfPolicyChanged } from './policy-snapshot-cache.js';

const blockEmails = JSON.stringify({ rules: [{ id: 'no-email', detector: 'pii.email', action: 'block' }] });
const allowEmails = JSON.stringify({ rules: [{ id: 'emails-ok', detector: 'pii.email', action: 'allow' }] });

const snapshot = (version: number, documentJson: string, tenantId = 'acme'): PolicySnapshot => ({
  tenantId,
  version,
  policyVersion: `${tenantId}@v${version}`,
  documentJson,
});

describe('PolicySnapshotCache', () => {
  it('serves the built-in default to a tenant without a policy', () => {
    const cache = new PolicySnapshotCache();
    const policy = cache.policyFor('nobody');
    expect(policy.policyVersion).toBe('default');
    expect(policy.check({ stage: 'input', text: 'mail ann@example.com' }).redactedText).toBe('mail [EMAIL]');
    expect(cache.versionOf('nobody')).toBe(0);
  });

  it('loads pages, then follows newer versions and ignores older ones whatever their order', async () => {
    const cache = new PolicySnapshotCache();
    expect(cache.ready).toBe(false);
    // An event that arrived during the load is newer than what the load returns.
    expect(cache.apply(snapshot(3, allowEmails))).toBe(true);
    expect(await cache.load([[snapshot(2, blockEmails)], [snapshot(1, blockEmails, 'globex')]])).toBe(1);
    expect(cache.ready).toBe(true);
    expect(cache.policyFor('acme').policyVersion).toBe('acme@v3');
    expect(cache.policyFor('acme').check({ stage: 'input', text: 'ann@example.com' }).decision).toBe('ALLOW');
    expect(cache.policyFor('globex').check({ stage: 'input', text: 'ann@example.com' }).decision).toBe('BLOCK');
    expect(cache.apply(snapshot(3, blockEmails))).toBe(false);
    expect(cache.apply(snapshot(4, blockEmails))).toBe(true);
    expect(cache.policyFor('acme').check({ stage: 'input', text: 'ann@example.com' })).toMatchObject({
      decision: 'BLOCK',
      policyVersion: 'acme@v4',
    });
  });

  it('keeps the previous version serving when a snapshot is invalid, and says why', () => {
    const errors: string[] = [];
    const cache = new PolicySnapshotCache({ onError: (error) => errors.push(error.message) });
    cache.apply(snapshot(1, blockEmails));
    const badPattern = JSON.stringify({
      rules: [{ id: 'x', detector: 'pattern', pattern: '(a)\\1', action: 'block' }],
    });
    expect(cache.apply(snapshot(2, badPattern))).toBe(false);
    expect(cache.apply(snapshot(3, '{not json'))).toBe(false);
    expect(cache.policyFor('acme').policyVersion).toBe('acme@v1');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/acme@v2 of tenant acme not applied: rules\[0\]\.pattern: .*backreferences/);
    expect(errors[1]).toMatch(/acme@v3 of tenant acme not applied: .*JSON/);
  });

  it('reads keel.policy.changed.v1 events through their protobuf form', () => {
    const event = PolicyChanged.decode(
      PolicyChanged.encode(
        PolicyChanged.fromPartial({
          tenantId: 'acme',
          version: 5,
          policyVersion: 'acme@v5',
          format: 'rules',
          documentJson: blockEmails,
          changedAt: new Date(0),
        }),
      ).finish(),
    );
    const cache = new PolicySnapshotCache();
    expect(cache.apply(snapshotOfPolicyChanged(event))).toBe(true);
    expect(cache.versionOf('acme')).toBe(5);
  });
});

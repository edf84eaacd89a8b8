/**
 * Issued API keys: stored as digests only, resolved to tenant, groups and name, rotated with a grace
 * period, revoked and expired, on the embedded store and on the MongoDB protocol.
 */
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { describeWithInfra, findMongo, uniqueName } from '@keel/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiKeyStore, createDocumentApiKeyStore, publicKeyView } from './api-key-store.js';
import { hashSecret, parseIssuedKey, secretMatches } from './api-key-token.js';
import { createStoredKeyResolver } from './stored-key-resolver.js';

describe('issued key tokens', () => {
  it('are keel_sk_<16 hex id>_<43 base64url characters> and parse back; anything else is not one', async () => {
    const store = createEmbeddedDocumentStore({ path: ':memory:' });
    const keys = await createDocumentApiKeyStore(store);
    const { record, token } = await keys.create({ tenantId: 'acme', groups: [] }, 1);
    expect(token).toMatch(/^keel_sk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseIssuedKey(token);
    expect(parsed?.keyId).toBe(record.id);
    expect(secretMatches(parsed?.secret ?? '', record.secretHash)).toBe(true);
    expect(secretMatches(`${parsed?.secret.slice(0, -1)}x`, record.secretHash)).toBe(false);
    expect(parseIssuedKey('acme-key')).toBeUndefined();
    expect(parseIssuedKey(`${token}x`)).toBeUndefined();
    expect(hashSecret('a')).toHaveLength(64);
    await store.close();
  });
});

function keySuite(open: () => Promise<DocumentStore>) {
  let store: DocumentStore;
  let keys: ApiKeyStore;
  let clock: number;
  const now = () => clock;

  beforeEach(async () => {
    store = await open();
    keys = await createDocumentApiKeyStore(store);
    clock = Date.UTC(2026, 11, 5);
  });
  afterEach(() => store.close());

  it('stores only a digest, and resolves the key to its tenant, groups, name and id', async () => {
    const { record, token } = await keys.create(
      { tenantId: 'acme', groups: ['staff', 'staff', 'hr'], name: 'ci-bot' },
      clock,
    );
    const stored = await keys.get(record.id);
    expect(JSON.stringify(stored)).not.toContain(token.slice(-43));
    expect(stored?.groups).toEqual(['staff', 'hr']);
    expect(publicKeyView(record)).not.toHaveProperty('secretHash');
    const resolver = createStoredKeyResolver(keys, { now });
    expect(await resolver.resolve(token)).toEqual({
      tenantId: 'acme',
      subject: 'ci-bot',
      aclGroups: ['staff', 'hr'],
      name: 'ci-bot',
      keyId: record.id,
    });
    expect(await resolver.resolve(`keel_sk_${record.id}_${'A'.repeat(43)}`)).toBeNull();
    expect(await resolver.resolve(`keel_sk_0000000000000000_${'A'.repeat(43)}`)).toBeNull();
  });

  it('lists keys newest first, per tenant, in pages', async () => {
    for (let index = 0; index < 3; index++) {
      clock += 1000;
      await keys.create({ tenantId: index === 1 ? 'other' : 'acme', groups: [], name: `k${index}` }, clock);
    }
    const acme = await keys.list({ tenantId: 'acme', limit: 1 });
    expect(acme.items.map((key) => key.name)).toEqual(['k2']);
    const rest = await keys.list({ tenantId: 'acme', limit: 1, cursor: acme.nextCursor });
    expect(rest.items.map((key) => key.name)).toEqual(['k0']);
    expect((await keys.list({})).items).toHaveLength(3);
  });

  it('rotates: the new secret works at once, the old one only within its grace period', async () => {
    const { record, token: old } = await keys.create({ tenantId: 'acme', groups: [] }, clock);
    const resolver = createStoredKeyResolver(keys, { now, cacheMs: 0 });
    const rotated = await keys.rotate(record.id, 60_000, clock);
    if (!rotated) throw new Error('expected a rotation');
    expect(rotated.token).not.toBe(old);
    expect((await resolver.resolve(rotated.token))?.keyId).toBe(record.id);
    expect((await resolver.resolve(old))?.keyId).toBe(record.id);
    clock += 60_001;
    expect(await resolver.resolve(old)).toBeNull();
    expect((await resolver.resolve(rotated.token))?.keyId).toBe(record.id);
    // Without a grace period the old secret stops at once.
    const again = await keys.rotate(record.id, 0, clock);
    expect(await resolver.resolve(rotated.token)).toBeNull();
    expect(await resolver.resolve(again?.token ?? '')).not.toBeNull();
  });

  it('lets one of two concurrent rotations win', async () => {
    const { record } = await keys.create({ tenantId: 'acme', groups: [] }, clock);
    const outcomes = await Promise.all([keys.rotate(record.id, 0, clock), keys.rotate(record.id, 0, clock)]);
    expect(outcomes.filter((outcome) => outcome !== null).length).toBeGreaterThanOrEqual(1);
    const winner = outcomes.filter((outcome) => outcome !== null).at(-1);
    const resolver = createStoredKeyResolver(keys, { now, cacheMs: 0 });
    expect(await resolver.resolve(winner?.token ?? '')).not.toBeNull();
  });

  it('revokes: refused within the cache bound on other replicas, at once where invalidated', async () => {
    const { record, token } = await keys.create({ tenantId: 'acme', groups: [] }, clock);
    const here = createStoredKeyResolver(keys, { now, cacheMs: 5_000 });
    const there = createStoredKeyResolver(keys, { now, cacheMs: 5_000 });
    expect(await here.resolve(token)).not.toBeNull();
    expect(await there.resolve(token)).not.toBeNull();
    const revoked = await keys.revoke(record.id, clock);
    expect(revoked?.revokedAt).toBe(clock);
    here.invalidate(record.id);
    expect(await here.resolve(token)).toBeNull();
    // The other replica still has the record cached, for at most cacheMs.
    expect(await there.resolve(token)).not.toBeNull();
    clock += 5_001;
    expect(await there.resolve(token)).toBeNull();
    expect(await keys.rotate(record.id, 0, clock)).toBeNull();
    expect((await keys.revoke(record.id, clock + 1))?.revokedAt).toBe(clock - 5_001);
    expect(await keys.revoke('0000000000000000', clock)).toBeNull();
  });

  it('expires: a key past its expiry no longer resolves, even while cached', async () => {
    const { token } = await keys.create({ tenantId: 'acme', groups: [], expiresAt: clock + 1000 }, clock);
    const resolver = createStoredKeyResolver(keys, { now, cacheMs: 60_000 });
    expect(await resolver.resolve(token)).not.toBeNull();
    clock += 1000;
    expect(await resolver.resolve(token)).toBeNull();
  });
}

describe('issued keys on the embedded store', () => {
  keySuite(async () => createEmbeddedDocumentStore({ path: ':memory:' }));
});

describeWithInfra('issued keys on the MongoDB protocol', await findMongo(), (endpoint) => {
  keySuite(() =>
    createMongoDocumentStore({ url: endpoint.url, database: uniqueName('keel_gateway_keys').replace(/-/g, '_') }),
  );
});

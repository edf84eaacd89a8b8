import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import {
  type ApiKeyResolver,
  apiKeyFingerprint,
  chainApiKeyResolvers,
  createStaticApiKeyResolver,
  parseApiKeysSpec,
} from './api-keys.js';

describe('parseApiKeysSpec', () => {
  it('reads keys, tenants and optional ACL groups', () => {
    expect(parseApiKeysSpec(' key1=tenantA , key2=tenantB:groupX|groupY,')).toEqual([
      { key: 'key1', tenantId: 'tenantA', aclGroups: [] },
      { key: 'key2', tenantId: 'tenantB', aclGroups: ['groupX', 'groupY'] },
    ]);
    expect(parseApiKeysSpec('')).toEqual([]);
  });

  it('reads the name of the key owner after a second colon', () => {
    expect(parseApiKeysSpec('k1=acme:legal|hr:Alice Smith,k2=acme::bob@example.com')).toEqual([
      { key: 'k1', tenantId: 'acme', aclGroups: ['legal', 'hr'], name: 'Alice Smith' },
      { key: 'k2', tenantId: 'acme', aclGroups: [], name: 'bob@example.com' },
    ]);
    expect(() => parseApiKeysSpec('k1=acme:legal:alice:extra')).toThrow(/entry 1: expected key=tenant:groups:name/);
    expect(() => parseApiKeysSpec('k1=acme::<script>')).toThrow(/entry 1/);
  });

  it('reports every bad entry by position without repeating any key', () => {
    let error: unknown;
    try {
      parseApiKeysSpec('sk-live-aaa,sk-live-bbb=,sk-live-ccc=ok,sk-live-ccc=other', 'GATEWAY_KEYS');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((issue) => `${issue.variable} ${issue.message.split(':')[0]}`)).toEqual([
      'GATEWAY_KEYS entry 1',
      'GATEWAY_KEYS entry 2',
      'GATEWAY_KEYS entry 4',
    ]);
    expect(configError.message).not.toContain('sk-live');
  });
});

describe('createStaticApiKeyResolver', () => {
  const resolver = createStaticApiKeyResolver([
    { key: 'alpha-key', tenantId: 'acme', aclGroups: ['ops'] },
    { key: 'beta-key', tenantId: 'globex', name: 'ci-bot' },
  ]);

  it('resolves known keys to their principal', async () => {
    expect(await resolver.resolve('alpha-key')).toEqual({
      tenantId: 'acme',
      subject: apiKeyFingerprint('alpha-key'),
      aclGroups: ['ops'],
    });
    expect(await resolver.resolve('beta-key')).toEqual({
      tenantId: 'globex',
      subject: 'ci-bot',
      name: 'ci-bot',
      aclGroups: [],
    });
  });

  it('rejects unknown keys, prefixes and the empty string', async () => {
    expect(await resolver.resolve('alpha-ke')).toBeNull();
    expect(await resolver.resolve('alpha-key ')).toBeNull();
    expect(await resolver.resolve('')).toBeNull();
  });

  it('hands out copies, so a caller cannot change another request’s principal', async () => {
    const first = await resolver.resolve('alpha-key');
    first?.aclGroups.push('admin');
    expect((await resolver.resolve('alpha-key'))?.aclGroups).toEqual(['ops']);
  });

  it('fingerprints keys without revealing them', () => {
    expect(apiKeyFingerprint('alpha-key')).toMatch(/^key-[0-9a-f]{12}$/);
    expect(apiKeyFingerprint('alpha-key')).not.toBe(apiKeyFingerprint('beta-key'));
  });
});

describe('chainApiKeyResolvers', () => {
  const staticKeys = createStaticApiKeyResolver([{ key: 'static-key-1', tenantId: 'a' }]);
  const issued: ApiKeyResolver = {
    resolve: async (key) =>
      key === 'issued-key' ? { tenantId: 'b', subject: 'ci', aclGroups: [], keyId: 'k1' } : null,
  };

  it('answers with the first resolver that knows the key, and null when none does', async () => {
    const chain = chainApiKeyResolvers(staticKeys, issued);
    expect((await chain.resolve('static-key-1'))?.tenantId).toBe('a');
    expect(await chain.resolve('issued-key')).toEqual({ tenantId: 'b', subject: 'ci', aclGroups: [], keyId: 'k1' });
    expect(await chain.resolve('nobody')).toBeNull();
  });

  it('fails the lookup when a resolver fails, rather than calling the key unknown', async () => {
    const down: ApiKeyResolver = { resolve: () => Promise.reject(new Error('store down')) };
    await expect(chainApiKeyResolvers(staticKeys, down).resolve('issued-key')).rejects.toThrow('store down');
  });
});

import { ConfigError } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadPolicyConfig as loadConfigFrom } from './config.js';

/** Every environment below has the internal token and an API key, unless a test says otherwise. */
const loadPolicyConfig = (env: NodeJS.ProcessEnv) =>
  loadConfigFrom({ ...testInternalAuthEnv, KEEL_API_KEYS: 'test-key=acme', ...env });

describe('loadPolicyConfig', () => {
  it('defaults to embedded adapters, the standard ports on loopback and US phone numbers', () => {
    expect(loadPolicyConfig({})).toMatchObject({
      grpc: { port: 50052, host: '127.0.0.1' },
      http: { port: 8085, host: '127.0.0.1' },
      internalAuth: { token: testInternalAuthEnv.KEEL_INTERNAL_TOKEN },
      kafka: undefined,
      mongo: undefined,
      dataDir: '.keel/data',
      seeds: {},
      phoneRegions: ['US'],
      adminGroups: [],
    });
  });

  it('reads the groups whose keys may change a policy', () => {
    expect(loadPolicyConfig({ POLICY_ADMIN_GROUPS: 'policy-admins, security' }).adminGroups).toEqual([
      'policy-admins',
      'security',
    ]);
  });

  it('reads the adapters, the seeds and the phone regions', () => {
    const config = loadPolicyConfig({
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      MONGODB_URL: 'mongodb://127.0.0.1:27017',
      POLICY_SEED_FILE: '/etc/keel/policies.json',
      POLICY_DENIED_TOPICS: '{"acme":[{"name":"weapons","phrases":["build a bomb"]}]}',
      POLICY_PHONE_REGIONS: 'us, gb',
    });
    expect(config).toMatchObject({
      kafka: { brokers: ['k1:9092', 'k2:9092'] },
      mongo: { url: 'mongodb://127.0.0.1:27017', database: 'keel_policy' },
      seeds: {
        seedFile: '/etc/keel/policies.json',
        deniedTopics: { acme: [{ name: 'weapons', phrases: ['build a bomb'] }] },
      },
      phoneRegions: ['US', 'GB'],
    });
  });

  it('refuses to start without an internal identity (a token, or the three mTLS files)', () => {
    expect(() => loadConfigFrom({})).toThrow(/KEEL_INTERNAL_TOKEN: internal gRPC calls need an identity/);
    expect(() => loadConfigFrom({ KEEL_GRPC_TLS_KEY: '/tls/tls.key' })).toThrow(/KEEL_GRPC_TLS_CERT: required/);
    expect(loadPolicyConfig({ HOST: '0.0.0.0' }).grpc.host).toBe('0.0.0.0');
  });

  it('names each bad variable', () => {
    const error = (() => {
      try {
        loadPolicyConfig({ POLICY_DENIED_TOPICS: '{"acme":', POLICY_PHONE_REGIONS: 'US,XX', GRPC_PORT: 'abc' });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual([
      'GRPC_PORT',
      'POLICY_DENIED_TOPICS',
      'POLICY_PHONE_REGIONS',
    ]);
    expect(() => loadPolicyConfig({ POLICY_DENIED_TOPICS: '{"acme":[{"name":"x","phrases":[]}]}' })).toThrow(
      /POLICY_DENIED_TOPICS/,
    );
  });

  it('needs API keys for the dry-run HTTP API, and reads them', () => {
    expect(() => loadPolicyConfig({ KEEL_API_KEYS: '' })).toThrow(/KEEL_API_KEYS/);
    expect(loadPolicyConfig({ KEEL_API_KEYS: '', KEEL_DEMO_API_KEY: 'demo-key' }).apiKeys).toEqual([
      expect.objectContaining({ key: 'demo-key', tenantId: 'demo' }),
    ]);
    expect(loadPolicyConfig({}).apiKeys).toEqual([expect.objectContaining({ key: 'test-key', tenantId: 'acme' })]);
  });
});

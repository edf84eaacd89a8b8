import { ConfigError } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('defaults to the standard addresses and the demo key', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      http: { port: 8080, host: '0.0.0.0' },
      kafka: undefined,
      policy: { address: '127.0.0.1:50052', deadlineMs: 2000 },
      retrieval: { address: '127.0.0.1:50051', deadlineMs: 5000 },
      apiKeys: [{ key: 'keel-demo-key', tenantId: 'demo', subject: 'demo' }],
    });
  });

  it('reads API keys with ACL groups and can turn the demo key off', () => {
    const config = loadGatewayConfig({
      KEEL_API_KEYS: 'k1=acme:staff|eng,k2=globex',
      KEEL_DEMO_API_KEY: '',
      POLICY_ADDRESS: 'policy.keel.svc:50052',
      RETRIEVAL_DEADLINE_MS: '2s',
    });
    expect(config.apiKeys).toEqual([
      { key: 'k1', tenantId: 'acme', aclGroups: ['staff', 'eng'] },
      { key: 'k2', tenantId: 'globex', aclGroups: [] },
    ]);
    expect(config.policy.address).toBe('policy.keel.svc:50052');
    expect(config.retrieval.deadlineMs).toBe(2000);
  });

  it('names each bad variable', () => {
    expect(() => loadGatewayConfig({ POLICY_ADDRESS: 'http://policy' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ POLICY_ADDRESS: 'http://policy' })).toThrow(/POLICY_ADDRESS: expected host:port/);
    expect(() => loadGatewayConfig({ KEEL_API_KEYS: 'nonsense' })).toThrow(/KEEL_API_KEYS: entry 1/);
  });
});

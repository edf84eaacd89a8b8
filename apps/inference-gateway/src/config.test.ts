import { ConfigError } from '@keel/platform';
import { testInternalAuthEnv } from '@keel/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig as loadConfigFrom } from './config.js';

/** Every environment below has a key and the internal token, unless a test says otherwise. */
const loadGatewayConfig = (env: NodeJS.ProcessEnv) =>
  loadConfigFrom({ KEEL_API_KEYS: 'k0=acme', ...testInternalAuthEnv, ...env });

describe('loadGatewayConfig', () => {
  it('defaults to the standard addresses on loopback, and no demo key', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      http: { port: 8080, host: '127.0.0.1' },
      grpc: { port: 50053, host: '127.0.0.1' },
      kafka: undefined,
      policy: { address: '127.0.0.1:50052', deadlineMs: 2000 },
      retrieval: { address: '127.0.0.1:50051', deadlineMs: 5000 },
      apiKeys: [{ key: 'k0', tenantId: 'acme', aclGroups: [] }],
      internalAuth: { token: testInternalAuthEnv.KEEL_INTERNAL_TOKEN },
      embeddings: undefined,
    });
  });

  it('refuses to start open: without any API key, or without an internal identity', () => {
    expect(() => loadConfigFrom({ ...testInternalAuthEnv })).toThrow(/KEEL_API_KEYS: no API keys are configured/);
    expect(() => loadConfigFrom({ KEEL_API_KEYS: 'k0=acme' })).toThrow(/KEEL_INTERNAL_TOKEN/);
    // The demo key only when asked for, named "demo".
    expect(loadConfigFrom({ ...testInternalAuthEnv, KEEL_DEMO_API_KEY: 'demo-key-123' }).apiKeys).toEqual([
      { key: 'demo-key-123', tenantId: 'demo', name: 'demo' },
    ]);
  });

  it('binds gRPC and HTTP on the same host, on their own ports', () => {
    const config = loadGatewayConfig({ HOST: '127.0.0.1', HTTP_PORT: '9080', GRPC_PORT: '0' });
    expect(config.http).toEqual({ port: 9080, host: '127.0.0.1' });
    expect(config.grpc).toEqual({ port: 0, host: '127.0.0.1' });
  });

  it('reads a remote embedder, which needs its URL, model and dimensions together', () => {
    expect(
      loadGatewayConfig({
        EMBEDDINGS_BASE_URL: 'http://tei:8080/v1',
        EMBEDDINGS_MODEL: 'bge-small-en-v1.5',
        EMBEDDINGS_DIMENSIONS: '384',
        EMBEDDINGS_API_KEY: 'sk-test',
      }).embeddings,
    ).toEqual({ baseUrl: 'http://tei:8080/v1', model: 'bge-small-en-v1.5', dimensions: 384, apiKey: 'sk-test' });
    expect(() => loadGatewayConfig({ EMBEDDINGS_MODEL: 'bge-small-en-v1.5' })).toThrow(
      /EMBEDDINGS_BASE_URL: required when EMBEDDINGS_MODEL is set/,
    );
    expect(() =>
      loadGatewayConfig({
        EMBEDDINGS_BASE_URL: 'http://tei:8080/v1',
        EMBEDDINGS_MODEL: 'm',
        EMBEDDINGS_DIMENSIONS: '0',
      }),
    ).toThrow(/EMBEDDINGS_DIMENSIONS/);
  });

  it('reads API keys with ACL groups and names, and can leave the demo key off', () => {
    const config = loadGatewayConfig({
      KEEL_API_KEYS: 'k1=acme:staff|eng,k2=globex,k3=acme::alice',
      KEEL_DEMO_API_KEY: '',
      POLICY_ADDRESS: 'policy.keel.svc:50052',
      RETRIEVAL_DEADLINE_MS: '2s',
    });
    expect(config.apiKeys).toEqual([
      { key: 'k1', tenantId: 'acme', aclGroups: ['staff', 'eng'] },
      { key: 'k2', tenantId: 'globex', aclGroups: [] },
      { key: 'k3', tenantId: 'acme', aclGroups: [], name: 'alice' },
    ]);
    expect(config.policy.address).toBe('policy.keel.svc:50052');
    expect(config.retrieval.deadlineMs).toBe(2000);
  });

  it('names each bad variable', () => {
    expect(() => loadGatewayConfig({ POLICY_ADDRESS: 'http://policy' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ POLICY_ADDRESS: 'http://policy' })).toThrow(/POLICY_ADDRESS: expected host:port/);
    expect(() => loadGatewayConfig({ KEEL_API_KEYS: 'nonsense' })).toThrow(/KEEL_API_KEYS: entry 1/);
    expect(() => loadGatewayConfig({ GRPC_PORT: '70000' })).toThrow(/GRPC_PORT/);
  });
});

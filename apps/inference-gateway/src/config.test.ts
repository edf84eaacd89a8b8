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

  it('registers no provider by default, and the retry and timeout defaults', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      providers: [],
      modelCalls: {
        maxAttempts: 3,
        attemptTimeoutMs: 60_000,
        totalTimeoutMs: 120_000,
        baseDelayMs: 250,
        maxDelayMs: 8000,
      },
      modelsRefreshMs: 300_000,
    });
  });

  it('registers OpenAI (any compatible server) and Anthropic from their conventional variables', () => {
    expect(loadGatewayConfig({ OPENAI_API_KEY: 'x', OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1' }).providers).toEqual([
      { name: 'openai', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9000/v1', apiKey: 'x' },
    ]);
    expect(loadGatewayConfig({ OPENAI_API_KEY: 'sk-1', ANTHROPIC_API_KEY: 'sk-ant-1' }).providers).toEqual([
      { name: 'openai', kind: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-1' },
      { name: 'anthropic', kind: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: 'sk-ant-1' },
    ]);
    expect(
      loadGatewayConfig({
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: 'http://proxy:8080',
        ANTHROPIC_VERSION: '2023-06-01',
        KEEL_MODEL_MAX_ATTEMPTS: '5',
        KEEL_MODEL_ATTEMPT_TIMEOUT_MS: '10s',
        KEEL_MODEL_TOTAL_TIMEOUT_MS: '30s',
        KEEL_PROVIDER_MODELS_REFRESH_MS: '1m',
      }),
    ).toMatchObject({
      providers: [{ name: 'anthropic', baseUrl: 'http://proxy:8080', version: '2023-06-01' }],
      modelCalls: { maxAttempts: 5, attemptTimeoutMs: 10_000, totalTimeoutMs: 30_000 },
      modelsRefreshMs: 60_000,
    });
  });

  it('names the variable of a bad provider setting, and never echoes a key', () => {
    expect(() => loadGatewayConfig({ OPENAI_BASE_URL: 'http://vllm:8000/v1' })).toThrow(/OPENAI_API_KEY: required/);
    expect(() => loadGatewayConfig({ OPENAI_API_KEY: 'x', OPENAI_BASE_URL: 'vllm:8000' })).toThrow(/OPENAI_BASE_URL/);
    expect(() => loadGatewayConfig({ KEEL_MODEL_MAX_ATTEMPTS: '0' })).toThrow(/KEEL_MODEL_MAX_ATTEMPTS/);
    expect(() =>
      loadGatewayConfig({ KEEL_MODEL_ATTEMPT_TIMEOUT_MS: '10s', KEEL_MODEL_TOTAL_TIMEOUT_MS: '5s' }),
    ).toThrow(/KEEL_MODEL_TOTAL_TIMEOUT_MS/);
    const error = (() => {
      try {
        loadGatewayConfig({ ANTHROPIC_API_KEY: 'sk-ant-secret-1', ANTHROPIC_BASE_URL: 'not a url' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toContain('ANTHROPIC_BASE_URL');
    expect(String((error as Error).message)).not.toContain('sk-ant-secret-1');
  });

  it('names the routing file, and reads the variables it names without keeping their values', () => {
    const config = loadGatewayConfig({
      KEEL_GATEWAY_CONFIG: ' /etc/keel/routing/routing.yaml ',
      VLLM_KEY: 'sk-vllm-1',
    });
    expect(config.routingFile).toBe('/etc/keel/routing/routing.yaml');
    expect(config.readSecret?.('VLLM_KEY')).toBe('sk-vllm-1');
    expect(config.readSecret?.('UNSET_KEY')).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain('sk-vllm-1');
    expect(loadGatewayConfig({}).routingFile).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  apiKeyEnvFields,
  apiKeysOf,
  bindHostEnvFields,
  internalAuthEnvFields,
  internalAuthOf,
  requireInternalAuth,
  requireSomeApiKey,
} from './access-env.js';
import { loadConfig } from './load-config.js';

const httpService = z
  .object({ ...bindHostEnvFields, ...apiKeyEnvFields })
  .superRefine((env, context) => requireSomeApiKey(env, context))
  .transform((env) => ({ host: env.HOST, apiKeys: apiKeysOf(env) }));

const grpcService = z
  .object({ ...internalAuthEnvFields })
  .superRefine((env, context) => requireInternalAuth(env, context))
  .transform(internalAuthOf);

describe('who may reach a service', () => {
  it('refuses to start an HTTP API with no keys at all, instead of running open', () => {
    expect(() => loadConfig(httpService, {})).toThrow(/KEEL_API_KEYS: no API keys are configured/);
    expect(() => loadConfig(httpService, { KEEL_API_KEYS: ' ', KEEL_DEMO_API_KEY: '' })).toThrow(/KEEL_API_KEYS/);
  });

  it('has no demo key unless one is configured', () => {
    const config = loadConfig(httpService, { KEEL_API_KEYS: 'acme-key=acme' });
    expect(config.apiKeys.map((entry) => entry.key)).toEqual(['acme-key']);
    expect(JSON.stringify(config)).not.toContain('keel-demo-key');
    const demo = loadConfig(httpService, { KEEL_DEMO_API_KEY: 'my-demo-key' });
    expect(demo.apiKeys).toEqual([{ key: 'my-demo-key', tenantId: 'demo', name: 'demo' }]);
  });

  it('listens on loopback unless a host is configured', () => {
    expect(loadConfig(httpService, { KEEL_API_KEYS: 'k=t' }).host).toBe('127.0.0.1');
    expect(loadConfig(httpService, { KEEL_API_KEYS: 'k=t', HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('refuses internal gRPC without an identity, and never echoes the token', () => {
    expect(() => loadConfig(grpcService, {})).toThrow(/KEEL_INTERNAL_TOKEN: internal gRPC calls need an identity/);
    expect(() => loadConfig(grpcService, { KEEL_INTERNAL_TOKEN: 'short-secret' })).toThrow(/at least 32 characters/);
    expect(() => loadConfig(grpcService, { KEEL_INTERNAL_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    const token = 'a'.repeat(40);
    expect(loadConfig(grpcService, { KEEL_INTERNAL_TOKEN: token })).toEqual({ token });
  });

  it('takes mTLS files instead, all three or none', () => {
    expect(() => loadConfig(grpcService, { KEEL_GRPC_TLS_CERT: '/tls/tls.crt' })).toThrow(
      /KEEL_GRPC_TLS_KEY: required when KEEL_GRPC_TLS_CERT is set/,
    );
    expect(
      loadConfig(grpcService, {
        KEEL_GRPC_TLS_CERT: '/tls/tls.crt',
        KEEL_GRPC_TLS_KEY: '/tls/tls.key',
        KEEL_GRPC_TLS_CA: '/tls/ca.crt',
      }),
    ).toEqual({ tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', caFile: '/tls/ca.crt' } });
  });
});

import { describe, expect, it } from 'vitest';
import { parseInfraEnv, planPlatform, servicePorts } from './platform-on-infra.js';

const infraEnvOutput = [
  'export KAFKA_BROKERS=127.0.0.1:9092',
  'export MONGODB_URL=mongodb://127.0.0.1:27017/',
  'export QDRANT_URL=http://127.0.0.1:6333',
  '',
].join('\n');

describe('the platform on tools/infra', () => {
  it('reads the endpoints `infra.sh env` prints, and skips its comments', () => {
    expect(parseInfraEnv(infraEnvOutput)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URL: 'mongodb://127.0.0.1:27017/',
      QDRANT_URL: 'http://127.0.0.1:6333',
    });
    expect(
      parseInfraEnv('export KAFKA_BROKERS=k:1\n# no Qdrant in this stack (no binary at /x): QDRANT_URL left unset\n'),
    ).toEqual({ KAFKA_BROKERS: 'k:1' });
  });

  it("gives each service the README's ports, the infrastructure, its peers and made-up secrets", () => {
    const plan = planPlatform({
      env: { PATH: '/usr/bin', KAFKA_BROKERS: 'stale:9092' },
      infrastructure: parseInfraEnv(infraEnvOutput),
      dataDir: '/tmp/keel',
      random: (bytes) => 'x'.repeat(bytes * 2),
    });
    expect(plan.services.map((service) => service.name)).toEqual([
      'policy',
      'retrieval',
      'ingestion',
      'inference-gateway',
      'evaluation',
      'human-review',
    ]);
    const gateway = plan.services.find((service) => service.name === 'inference-gateway');
    expect(gateway?.env).toMatchObject({
      PATH: '/usr/bin',
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URL: 'mongodb://127.0.0.1:27017/',
      QDRANT_URL: 'http://127.0.0.1:6333',
      HOST: '127.0.0.1',
      HTTP_PORT: '8080',
      GRPC_PORT: '50053',
      POLICY_ADDRESS: '127.0.0.1:50052',
      RETRIEVAL_ADDRESS: '127.0.0.1:50051',
      KEEL_DATA_DIR: '/tmp/keel',
      KEEL_DEMO_API_KEY: `keel-demo-${'x'.repeat(24)}`,
    });
    expect(gateway?.env.KEEL_INTERNAL_TOKEN).toHaveLength(64);
    expect(plan).toMatchObject({ demoApiKeyGenerated: true, internalTokenGenerated: true });
    for (const service of plan.services) {
      expect(service.env.HTTP_PORT).toBe(String(servicePorts[service.name].http));
      expect(service.env.GRPC_PORT).toBe(servicePorts[service.name].grpc?.toString());
      expect(service.httpUrl).toBe(`http://127.0.0.1:${servicePorts[service.name].http}`);
      // One token and one key for all six: internal calls and the demo tenant work across processes.
      expect(service.env.KEEL_INTERNAL_TOKEN).toBe(gateway?.env.KEEL_INTERNAL_TOKEN);
      expect(service.env.KEEL_DEMO_API_KEY).toBe(plan.demoApiKey);
    }
  });

  it('keeps the secrets and the bind address the caller chose, and dials a wildcard address on loopback', () => {
    const plan = planPlatform({
      env: { KEEL_DEMO_API_KEY: 'my-demo-key', KEEL_INTERNAL_TOKEN: 't'.repeat(40), HOST: '0.0.0.0' },
      infrastructure: { KAFKA_BROKERS: 'k:1', MONGODB_URL: 'mongodb://m:2/' },
      dataDir: '/tmp/keel',
    });
    expect(plan).toMatchObject({
      demoApiKey: 'my-demo-key',
      demoApiKeyGenerated: false,
      internalTokenGenerated: false,
    });
    const ingestion = plan.services.find((service) => service.name === 'ingestion');
    expect(ingestion?.env).toMatchObject({
      HOST: '0.0.0.0',
      KEEL_INTERNAL_TOKEN: 't'.repeat(40),
      POLICY_ADDRESS: '127.0.0.1:50052',
    });
    expect(ingestion?.env.QDRANT_URL).toBeUndefined();
    expect(ingestion?.httpUrl).toBe('http://127.0.0.1:8081');
  });
});

/**
 * The chart against the code it deploys: values validate against values.schema.json, the topic
 * hook creates exactly the registry's topics, and `helm template` renders every service with its
 * probes, ports and disruption budget.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@keel/contracts';
import { describeWithInfra, findHelm } from '@keel/testing';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const chartDir = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${chartDir}/${path}`, 'utf8');
const services = ['inference-gateway', 'ingestion', 'retrieval', 'policy', 'evaluation', 'human-review'];

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(JSON.parse(read('values.schema.json')));
}

describe('the keel chart', () => {
  it('ships default values that satisfy its schema, and the schema rejects bad values', () => {
    const validate = validator();
    const values = parse(read('values.yaml'));
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);

    const broken = structuredClone(values);
    broken.services.policy.grpc.port = 'fifty';
    delete broken.services['human-review'];
    expect(validate(broken)).toBe(false);
    expect(JSON.stringify(validate.errors)).toMatch(/human-review|port/);
  });

  it('validates the example environment values', () => {
    const validate = validator();
    for (const environment of ['dev', 'staging']) {
      const path = fileURLToPath(new URL(`../../../deploy/environments/${environment}.values.yaml`, import.meta.url));
      const merged = { ...parse(read('values.yaml')), ...parse(readFileSync(path, 'utf8')) };
      expect(validate(merged), `${environment}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('creates exactly the topics of the registry (and their dead-letter twins)', () => {
    const job = read('templates/create-topics-job.yaml');
    const listed = /\$topics := list ([^}]+)\}\}/
      .exec(job)?.[1]
      ?.match(/"([^"]+)"/g)
      ?.map((name) => name.slice(1, -1));
    expect(listed?.sort()).toEqual([...topicNames].sort());
    expect(job).toMatch(/\{\{ \. \}\}\.dlq/);
  });
});

describeWithInfra('helm renders the keel chart', await findHelm(), ({ binary }) => {
  const helm = (...args: string[]) => spawnSync(binary, args, { encoding: 'utf8' });

  it('passes helm lint', () => {
    const result = helm('lint', chartDir, '--set', 'mongodb.url=mongodb://mongo:27017/', '--strict');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('renders each service with probes, ports, an HPA or fixed replicas, and a disruption budget', () => {
    const result = helm('template', 'keel', chartDir, '--set', 'mongodb.url=mongodb://mongo:27017/');
    expect(result.status, result.stderr).toBe(0);
    const documents = parseAllDocuments(result.stdout)
      .map((document) => document.toJSON())
      .filter(Boolean);
    const byKind = (kind: string) => documents.filter((document) => document.kind === kind);
    const deployments = byKind('Deployment');
    expect(deployments.map((deployment) => deployment.metadata.labels['app.kubernetes.io/name']).sort()).toEqual(
      [...services].sort(),
    );
    for (const deployment of deployments) {
      const container = deployment.spec.template.spec.containers[0];
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      const env = Object.fromEntries(
        container.env.map((variable: { name: string; value?: string }) => [variable.name, variable.value]),
      );
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.POLICY_ADDRESS).toBe('keel-policy:50052');
      expect(env.RETRIEVAL_ADDRESS).toBe('keel-retrieval:50051');
    }
    expect(byKind('Service')).toHaveLength(services.length);
    expect(byKind('ServiceAccount')).toHaveLength(services.length);
    expect(byKind('HorizontalPodAutoscaler').length).toBeGreaterThan(0);
    expect(byKind('PodDisruptionBudget').length).toBeGreaterThan(0);
    const hook = byKind('Job')[0];
    expect(hook.metadata.annotations['helm.sh/hook']).toMatch(/pre-install/);
  });

  it('refuses to render without a MongoDB endpoint', () => {
    const result = helm('template', 'keel', chartDir);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/mongodb\.url or mongodb\.existingSecret is required/);
  });
});

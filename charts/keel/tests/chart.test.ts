/**
 * The chart against the code it deploys: values validate against values.schema.json, the topic
 * hook creates exactly the registry's topics, the chart's call graph matches what each app's
 * config.ts reads, and `helm template` renders every service with its probes, ports, disruption
 * budget, secrets and the NetworkPolicies that admit only the flows of ../shared/DESIGN.md.
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
const repoPath = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(`${chartDir}/${path}`, 'utf8');
const services = ['inference-gateway', 'ingestion', 'retrieval', 'policy', 'evaluation', 'human-review'];
const environments = ['dev', 'staging'];
const environmentFile = (environment: string) => repoPath(`deploy/environments/${environment}.values.yaml`);

/** The services that serve gRPC or call a service that does, and so need the internal identity. */
const internalGrpc = ['inference-gateway', 'ingestion', 'retrieval', 'policy'];
/** The services with an HTTP API for users, guarded by API keys. */
const httpApis = ['inference-gateway', 'ingestion', 'human-review', 'evaluation', 'policy'];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Helm's merge of values files: maps merge, everything else (lists too) replaces. */
function mergeValues(base: Json, override: Json): Json {
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(JSON.parse(read('values.schema.json')));
}

interface Role {
  api: boolean;
  calls: string[];
  /** HTTP APIs of other services it calls (`<NAME>_URL`). */
  httpCalls?: string[];
  uses: string[];
}

/** The chart's call graph, `keel.topology` in _helpers.tpl. */
function topology(): Record<string, Role> {
  const helpers = read('templates/_helpers.tpl');
  const body = /define "keel\.topology" -\}\}([\s\S]*?)\{\{- end/.exec(helpers)?.[1];
  expect(body, 'keel.topology in _helpers.tpl').toBeDefined();
  return parse(body ?? '');
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

  it('accepts a routing file inline or from a ConfigMap, not both', () => {
    const validate = validator();
    const values = parse(read('values.yaml'));
    const inline = structuredClone(values);
    inline.providers.routing.config = 'models: {}';
    expect(validate(inline), JSON.stringify(validate.errors)).toBe(true);
    const both = structuredClone(inline);
    both.providers.routing.existingConfigMap = 'team-routing';
    expect(validate(both)).toBe(false);
    const relative = structuredClone(values);
    relative.providers.routing.mountPath = 'etc/keel';
    expect(validate(relative)).toBe(false);
  });

  it('requires the API keys Secret and an internal identity, and refuses the demo key', () => {
    const validate = validator();
    const values = parse(read('values.yaml'));

    const noKeys = structuredClone(values);
    noKeys.apiKeys.existingSecret = '';
    expect(validate(noKeys)).toBe(false);

    const demo = structuredClone(values);
    demo.services.ingestion.env = { KEEL_DEMO_API_KEY: 'keel-demo-key' };
    expect(validate(demo)).toBe(false);

    const anonymous = structuredClone(values);
    anonymous.internalAuth.existingSecret = '';
    expect(validate(anonymous)).toBe(false);

    const mtlsOnly = structuredClone(anonymous);
    mtlsOnly.internalAuth.tls.existingSecret = 'keel-grpc-tls';
    expect(validate(mtlsOnly), JSON.stringify(validate.errors)).toBe(true);

    const badPeer = structuredClone(values);
    badPeer.networkPolicy.ingressFrom = [{ namespace: 'ingress-nginx' }];
    expect(validate(badPeer)).toBe(false);
  });

  it('validates the example environment values, which never enable the demo key', () => {
    const validate = validator();
    for (const environment of environments) {
      const text = readFileSync(environmentFile(environment), 'utf8');
      expect(text).not.toMatch(/KEEL_DEMO_API_KEY|keel-demo-key/);
      const merged = mergeValues(parse(read('values.yaml')), parse(text));
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

  it('knows what each app reads: its call graph matches every apps/<service>/src/config.ts', () => {
    const roles = topology();
    const values = parse(read('values.yaml'));
    expect(Object.keys(roles).sort()).toEqual([...services].sort());
    for (const name of services) {
      // config.ts and the `*-env.ts` modules whose fields it spreads into its schema.
      const configSource = readFileSync(repoPath(`apps/${name}/src/config.ts`), 'utf8');
      const envModules = [...configSource.matchAll(/from '\.\/([\w/-]+-env)\.js'/g)].map((match) =>
        readFileSync(repoPath(`apps/${name}/src/${match[1]}.ts`), 'utf8'),
      );
      const config = [configSource, ...envModules].join('\n');
      const role = roles[name] as Role;
      const reads = (pattern: RegExp) => pattern.test(config);
      const facts = {
        api: role.api,
        kafka: role.uses.includes('kafka'),
        mongodb: role.uses.includes('mongodb'),
        qdrant: role.uses.includes('qdrant'),
        external: role.uses.includes('external'),
        callsPolicy: role.calls.includes('policy'),
        callsRetrieval: role.calls.includes('retrieval'),
        callsEvaluationHttp: role.httpCalls?.includes('evaluation') ?? false,
        grpc: values.services[name].grpc !== undefined,
        internal: values.services[name].grpc !== undefined || role.calls.length > 0,
      };
      expect(facts, name).toEqual({
        api: reads(/requireSomeApiKey/),
        kafka: reads(/KAFKA_BROKERS/),
        mongodb: reads(/MONGODB_URL/),
        qdrant: reads(/QDRANT_URL/),
        external: reads(/embeddingsEnvFields/),
        callsPolicy: reads(/POLICY_ADDRESS/),
        callsRetrieval: reads(/RETRIEVAL_ADDRESS/),
        callsEvaluationHttp: reads(/EVALUATION_URL/),
        grpc: reads(/GRPC_PORT/),
        internal: reads(/requireInternalAuth/),
      });
      expect(facts.api, name).toBe(httpApis.includes(name));
      expect(facts.internal, name).toBe(internalGrpc.includes(name));
    }
  });

  it('builds images that listen on the container address', () => {
    expect(readFileSync(repoPath('Dockerfile'), 'utf8')).toMatch(/^ENV HOST=0\.0\.0\.0$/m);
  });
});

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Port {
  port?: number;
  protocol?: string;
}
interface Peer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: unknown;
  ipBlock?: unknown;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: Port[];
}
interface NetworkPolicy {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress?: Rule[] | null;
    egress?: Rule[] | null;
  };
}

const labelsOf = (name: string) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': 'keel',
  'app.kubernetes.io/part-of': 'keel',
});
const selects = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) =>
  Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
const portMatches = (rule: Rule, port: number) =>
  !rule.ports || rule.ports.some((entry) => entry.port === undefined || entry.port === port);
/** A peer matching a pod of the release's own namespace (no namespaceSelector, no ipBlock). */
const peerMatchesPod = (peer: Peer, labels: Record<string, string>) =>
  peer.namespaceSelector === undefined && peer.ipBlock === undefined && selects(peer.podSelector, labels);

/** Whether the policies admit a connection from pod `from` to pod `to` on `port`, both in the release's namespace. */
function admits(policies: NetworkPolicy[], from: Record<string, string>, to: Record<string, string>, port: number) {
  const selecting = (labels: Record<string, string>, type: string) =>
    policies.filter((policy) => policy.spec.policyTypes.includes(type) && selects(policy.spec.podSelector, labels));
  const ingressOk = selecting(to, 'Ingress').some((policy) =>
    (policy.spec.ingress ?? []).some(
      (rule) => portMatches(rule, port) && (!rule.from || rule.from.some((peer) => peerMatchesPod(peer, from))),
    ),
  );
  const egressOk = selecting(from, 'Egress').some((policy) =>
    (policy.spec.egress ?? []).some(
      (rule) => portMatches(rule, port) && (!rule.to || rule.to.some((peer) => peerMatchesPod(peer, to))),
    ),
  );
  const ingressIsolated = selecting(to, 'Ingress').length > 0;
  const egressIsolated = selecting(from, 'Egress').length > 0;
  return (ingressOk || !ingressIsolated) && (egressOk || !egressIsolated);
}

describeWithInfra('helm renders the keel chart', await findHelm(), ({ binary }) => {
  const helm = (...args: string[]) => spawnSync(binary, args, { encoding: 'utf8' });
  const mongo = ['--set', 'mongodb.url=mongodb://mongo:27017/'];

  function render(...args: string[]) {
    const result = helm('template', 'keel', chartDir, ...args);
    expect(result.status, result.stderr).toBe(0);
    const documents: Json[] = parseAllDocuments(result.stdout)
      .map((document) => document.toJSON())
      .filter(Boolean);
    const byKind = (kind: string) => documents.filter((document) => document.kind === kind);
    const deployment = (name: string) =>
      byKind('Deployment').find(
        (document) => (document as { metadata: { name: string } }).metadata.name === `keel-${name}`,
      );
    const containerOf = (name: string) =>
      (deployment(name) as { spec: { template: { spec: { containers: Json[] } } } }).spec.template.spec.containers[0];
    const envOf = (name: string) =>
      Object.fromEntries(
        ((containerOf(name) as { env: EnvVar[] }).env ?? []).map((variable) => [variable.name, variable]),
      );
    const policies = byKind('NetworkPolicy') as unknown as NetworkPolicy[];
    const policy = (name: string) => policies.find((candidate) => candidate.metadata.name === name);
    return { text: result.stdout, documents, byKind, deployment, containerOf, envOf, policies, policy };
  }

  it('passes helm lint, with the defaults and with every example environment', () => {
    const result = helm('lint', chartDir, ...mongo, '--strict');
    expect(result.status, result.stdout + result.stderr).toBe(0);
    for (const environment of environments) {
      const linted = helm('lint', chartDir, '-f', environmentFile(environment), '--strict');
      expect(linted.status, `${environment}: ${linted.stdout}${linted.stderr}`).toBe(0);
    }
  });

  it('renders each service with probes, ports, an HPA or fixed replicas, and a disruption budget', () => {
    const { byKind, envOf, containerOf } = render(...mongo);
    const deployments = byKind('Deployment') as Array<{ metadata: { labels: Record<string, string> } }>;
    expect(deployments.map((deployment) => deployment.metadata.labels['app.kubernetes.io/name']).sort()).toEqual(
      [...services].sort(),
    );
    for (const name of services) {
      const container = containerOf(name) as {
        readinessProbe: { httpGet: { path: string } };
        livenessProbe: { httpGet: { path: string } };
      };
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      const env = envOf(name);
      if (name !== 'retrieval') expect(env.KAFKA_BROKERS?.value, name).toBe('kafka:9092');
    }
    expect(envOf('inference-gateway').POLICY_ADDRESS?.value).toBe('keel-policy:50052');
    expect(envOf('inference-gateway').RETRIEVAL_ADDRESS?.value).toBe('keel-retrieval:50051');
    expect(envOf('ingestion').POLICY_ADDRESS?.value).toBe('keel-policy:50052');
    expect(byKind('Service')).toHaveLength(services.length);
    expect(byKind('ServiceAccount')).toHaveLength(services.length);
    expect(byKind('HorizontalPodAutoscaler').length).toBeGreaterThan(0);
    expect(byKind('PodDisruptionBudget').length).toBeGreaterThan(0);
    const hook = byKind('Job')[0] as { metadata: { annotations: Record<string, string> } };
    expect(hook.metadata.annotations['helm.sh/hook']).toMatch(/pre-install/);
  });

  it('binds every service to the pod address, and takes API keys and the internal token from Secrets', () => {
    const { envOf } = render(...mongo);
    for (const name of services) {
      const env = envOf(name);
      expect(env.HOST?.value, name).toBe('0.0.0.0');
      expect(env.KEEL_DEMO_API_KEY, name).toBeUndefined();

      const keys = env.KEEL_API_KEYS?.valueFrom?.secretKeyRef;
      if (httpApis.includes(name)) {
        expect(keys, name).toEqual({ name: 'keel-api-keys', key: 'api-keys' });
        expect(keys?.optional, name).not.toBe(true);
      } else {
        expect(env.KEEL_API_KEYS, name).toBeUndefined();
      }

      const token = env.KEEL_INTERNAL_TOKEN;
      if (internalGrpc.includes(name)) {
        expect(token?.value, name).toBeUndefined();
        expect(token?.valueFrom?.secretKeyRef, name).toEqual({ name: 'keel-internal-token', key: 'token' });
      } else {
        expect(token, name).toBeUndefined();
      }
      expect(env.KEEL_GRPC_TLS_CERT, name).toBeUndefined();
    }
  });

  it('never renders the demo key, with the defaults or any example environment', () => {
    const renders = [
      render(...mongo),
      ...environments.map((environment) => render('-f', environmentFile(environment))),
    ];
    for (const { text } of renders) {
      expect(text).not.toMatch(/KEEL_DEMO_API_KEY|keel-demo-key/);
      expect(text).not.toMatch(/optional: true/);
    }
    const refused = helm(
      'template',
      'keel',
      chartDir,
      ...mongo,
      '--set',
      'services.ingestion.env.KEEL_DEMO_API_KEY=keel-demo-key',
      '--skip-schema-validation',
    );
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/KEEL_DEMO_API_KEY/);
  });

  it('mounts the mTLS Secret read-only where internal gRPC needs it, and may drop the token', () => {
    const { deployment, envOf, containerOf } = render(
      ...mongo,
      '--set',
      'internalAuth.existingSecret=',
      '--set',
      'internalAuth.tls.existingSecret=keel-grpc-tls',
    );
    for (const name of services) {
      const env = envOf(name);
      expect(env.KEEL_INTERNAL_TOKEN, name).toBeUndefined();
      const mounts = (
        containerOf(name) as { volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }
      ).volumeMounts;
      const volumes = (
        deployment(name) as { spec: { template: { spec: { volumes: Array<{ name: string; secret?: Json }> } } } }
      ).spec.template.spec.volumes;
      if (internalGrpc.includes(name)) {
        expect(env.KEEL_GRPC_TLS_CERT?.value, name).toBe('/etc/keel/tls/tls.crt');
        expect(env.KEEL_GRPC_TLS_KEY?.value, name).toBe('/etc/keel/tls/tls.key');
        expect(env.KEEL_GRPC_TLS_CA?.value, name).toBe('/etc/keel/tls/ca.crt');
        expect(mounts.find((mount) => mount.name === 'grpc-tls')).toEqual({
          name: 'grpc-tls',
          mountPath: '/etc/keel/tls',
          readOnly: true,
        });
        expect(volumes.find((volume) => volume.name === 'grpc-tls')?.secret?.secretName).toBe('keel-grpc-tls');
      } else {
        expect(env.KEEL_GRPC_TLS_CERT, name).toBeUndefined();
        expect(
          mounts.some((mount) => mount.name === 'grpc-tls'),
          name,
        ).toBe(false);
      }
    }
  });

  it('gives only the gateway the model providers, keys from a Secret', () => {
    const { envOf } = render(
      ...mongo,
      '--set',
      'providers.existingSecret=keel-model-providers',
      '--set',
      'providers.openaiBaseUrl=http://vllm:8000/v1',
    );
    const gateway = envOf('inference-gateway');
    expect(gateway.OPENAI_API_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'keel-model-providers', key: 'openai-api-key', optional: true },
    });
    expect(gateway.ANTHROPIC_API_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'keel-model-providers', key: 'anthropic-api-key', optional: true },
    });
    expect(gateway.OPENAI_BASE_URL?.value).toBe('http://vllm:8000/v1');
    for (const name of services.filter((service) => service !== 'inference-gateway')) {
      expect(envOf(name).OPENAI_API_KEY, name).toBeUndefined();
    }
    expect(render(...mongo).envOf('inference-gateway').OPENAI_API_KEY).toBeUndefined();
  });

  it('gives only the gateway its admin key, from a Secret, and MongoDB for its keys, limits and usage', () => {
    const { envOf } = render(...mongo, '--set', 'gatewayAdmin.existingSecret=keel-gateway-admin');
    const gateway = envOf('inference-gateway');
    expect(gateway.KEEL_ADMIN_API_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'keel-gateway-admin', key: 'admin-api-key' },
    });
    expect(gateway.MONGODB_URL?.value).toBe('mongodb://mongo:27017/');
    for (const name of services.filter((service) => service !== 'inference-gateway')) {
      expect(envOf(name).KEEL_ADMIN_API_KEY, name).toBeUndefined();
    }
    // Without the Secret the admin API stays disabled.
    expect(render(...mongo).envOf('inference-gateway').KEEL_ADMIN_API_KEY).toBeUndefined();
  });

  it("gives human-review the console's session settings, its admin key and bootstrap admin from a Secret", () => {
    const defaults = render(...mongo).envOf('human-review');
    expect(defaults.REVIEW_SESSION_HOURS?.value).toBe('12');
    expect(defaults.REVIEW_COOKIE_SECURE?.value).toBe('true');
    expect(defaults.KEEL_ADMIN_API_KEY).toBeUndefined();
    expect(defaults.KEEL_REVIEW_BOOTSTRAP_ADMIN).toBeUndefined();
    const { envOf } = render(
      ...mongo,
      '--set',
      'reviewConsole.existingSecret=keel-review-console',
      '--set',
      'reviewConsole.bootstrapAdmin=acme:root',
    );
    const review = envOf('human-review');
    expect(review.KEEL_ADMIN_API_KEY?.valueFrom).toEqual({
      secretKeyRef: { name: 'keel-review-console', key: 'admin-api-key', optional: true },
    });
    expect(review.KEEL_REVIEW_BOOTSTRAP_ADMIN?.value).toBe('acme:root');
    expect(review.KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD?.valueFrom).toEqual({
      secretKeyRef: { name: 'keel-review-console', key: 'bootstrap-admin-password' },
    });
    for (const name of services.filter((service) => service !== 'human-review')) {
      expect(envOf(name).REVIEW_SESSION_HOURS, name).toBeUndefined();
    }
  });

  it('mounts the gateway routing file from values as a ConfigMap directory and points KEEL_GATEWAY_CONFIG at it', () => {
    const example = readFileSync(repoPath('deploy/gateway-routing.example.yaml'), 'utf8');
    const { byKind, envOf, containerOf, deployment } = render(
      ...mongo,
      '--set-file',
      `providers.routing.config=${repoPath('deploy/gateway-routing.example.yaml')}`,
      '--set',
      'providers.routing.keysSecret=keel-routing-keys',
    );
    const configMap = byKind('ConfigMap').find(
      (document) => (document as { metadata: { name: string } }).metadata.name === 'keel-inference-gateway-routing',
    ) as { data: Record<string, string> } | undefined;
    expect(configMap?.data['routing.yaml']).toBe(example);
    expect(envOf('inference-gateway').KEEL_GATEWAY_CONFIG?.value).toBe('/etc/keel/routing/routing.yaml');
    const container = containerOf('inference-gateway') as {
      envFrom?: Json[];
      volumeMounts: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
    };
    expect(container.envFrom).toEqual([{ secretRef: { name: 'keel-routing-keys' } }]);
    // A directory mount: a subPath would never see the ConfigMap's updates, and reloads would stop.
    expect(container.volumeMounts.find((mount) => mount.name === 'routing')).toEqual({
      name: 'routing',
      mountPath: '/etc/keel/routing',
      readOnly: true,
    });
    const volumes = (deployment('inference-gateway') as { spec: { template: { spec: { volumes: Json[] } } } }).spec
      .template.spec.volumes;
    expect(volumes).toContainEqual({
      name: 'routing',
      configMap: { name: 'keel-inference-gateway-routing', items: [{ key: 'routing.yaml', path: 'routing.yaml' }] },
    });
    for (const name of services.filter((service) => service !== 'inference-gateway')) {
      expect(envOf(name).KEEL_GATEWAY_CONFIG, name).toBeUndefined();
    }

    // An existing ConfigMap instead: mounted, nothing rendered; no file at all: no variable, no volume.
    const existing = render(...mongo, '--set', 'providers.routing.existingConfigMap=team-routing');
    expect(existing.byKind('ConfigMap')).toHaveLength(byKind('ConfigMap').length - 1);
    expect(existing.envOf('inference-gateway').KEEL_GATEWAY_CONFIG?.value).toBe('/etc/keel/routing/routing.yaml');
    const plain = render(...mongo);
    expect(plain.envOf('inference-gateway').KEEL_GATEWAY_CONFIG).toBeUndefined();
    expect(
      (plain.containerOf('inference-gateway') as { volumeMounts: { name: string }[] }).volumeMounts.map((m) => m.name),
    ).not.toContain('routing');
  });

  it('refuses to render without a MongoDB endpoint, or without an internal identity', () => {
    const noMongo = helm('template', 'keel', chartDir);
    expect(noMongo.status).not.toBe(0);
    expect(noMongo.stderr).toMatch(/mongodb\.url or mongodb\.existingSecret is required/);

    const anonymous = helm('template', 'keel', chartDir, ...mongo, '--set', 'internalAuth.existingSecret=');
    expect(anonymous.status).not.toBe(0);
    expect(anonymous.stderr).toMatch(/internalAuth/);
  });

  it('ships NetworkPolicies that admit only the flows of the call graph', () => {
    const { policies, policy } = render(...mongo);
    expect(policies.map((candidate) => candidate.metadata.name).sort()).toEqual(
      ['keel-default-deny', 'keel-create-topics', ...services.map((name) => `keel-${name}`)].sort(),
    );

    const deny = policy('keel-default-deny');
    expect(deny?.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/instance': 'keel',
      'app.kubernetes.io/part-of': 'keel',
    });
    expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(deny?.spec.ingress ?? []).toEqual([]);
    expect(deny?.spec.egress ?? []).toEqual([]);

    const selector = (name: string) => ({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'keel' } },
    });
    expect(policy('keel-retrieval')?.spec.ingress).toEqual([
      { from: [selector('inference-gateway')], ports: [{ protocol: 'TCP', port: 50051 }] },
    ]);
    expect(policy('keel-policy')?.spec.ingress).toEqual([
      { from: [selector('inference-gateway'), selector('ingestion')], ports: [{ protocol: 'TCP', port: 50052 }] },
    ]);
    // No internal callers by default: the gateway's gRPC port admits no one; its HTTP API is public.
    expect(policy('keel-inference-gateway')?.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);

    // Every pair of keel pods, on every port: only the call graph's gRPC calls get through.
    const ports: Record<string, number[]> = {
      'inference-gateway': [8080, 50053],
      ingestion: [8081],
      retrieval: [8084, 50051],
      policy: [8085, 50052],
      evaluation: [8083],
      'human-review': [8082],
    };
    const allowed = new Set([
      'inference-gateway->policy:50052',
      'inference-gateway->retrieval:50051',
      'ingestion->policy:50052',
      // The console's lineage panel: human-review reads evaluation's HTTP API.
      'human-review->evaluation:8083',
    ]);
    for (const from of services) {
      for (const to of services) {
        for (const port of ports[to] ?? []) {
          const flow = `${from}->${to}:${port}`;
          expect(admits(policies, labelsOf(from), labelsOf(to), port), flow).toBe(allowed.has(flow));
        }
      }
    }
    // A pod that is not keel's reaches the four public HTTP APIs and nothing else.
    const outsider = { app: 'someone-else' };
    for (const to of services) {
      for (const port of ports[to] ?? []) {
        const open = [8080, 8081, 8082, 8083].includes(port);
        const ingress = (policy(`keel-${to}`)?.spec.ingress ?? []).some(
          (rule) => portMatches(rule, port) && (!rule.from || rule.from.some((peer) => peerMatchesPod(peer, outsider))),
        );
        expect(ingress, `outsider->${to}:${port}`).toBe(open);
      }
    }

    // Egress: DNS everywhere, then the dependencies each service uses, and the hook Job only Kafka.
    const egressPorts = (name: string) =>
      (policy(name)?.spec.egress ?? [])
        .filter((rule) => !rule.to?.some((peer) => peer.podSelector && !peer.namespaceSelector))
        .flatMap((rule) => (rule.ports ?? []).map((port) => `${port.protocol}/${port.port}`))
        .sort();
    const dns = ['TCP/53', 'UDP/53'];
    // The gateway keeps issued keys, limits, budgets, the usage ledger and its cache in MongoDB.
    expect(egressPorts('keel-inference-gateway')).toEqual([...dns, 'TCP/443', 'TCP/9092', 'TCP/27017'].sort());
    expect(egressPorts('keel-ingestion')).toEqual(
      [...dns, 'TCP/443', 'TCP/9092', 'TCP/27017', 'TCP/6333', 'TCP/6334'].sort(),
    );
    // Retrieval reads the index generation record (which collection serves) from ingestion's database.
    expect(egressPorts('keel-retrieval')).toEqual([...dns, 'TCP/443', 'TCP/27017', 'TCP/6333', 'TCP/6334'].sort());
    for (const name of ['policy', 'evaluation', 'human-review']) {
      expect(egressPorts(`keel-${name}`), name).toEqual([...dns, 'TCP/9092', 'TCP/27017'].sort());
    }
    const hook = policy('keel-create-topics');
    expect(hook?.metadata.annotations?.['helm.sh/hook']).toMatch(/pre-install/);
    expect(Number(hook?.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(-5);
    expect(hook?.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'create-topics',
      'app.kubernetes.io/instance': 'keel',
    });
    expect(egressPorts('keel-create-topics')).toEqual([...dns, 'TCP/9092'].sort());
    const dnsRule = hook?.spec.egress?.find((rule) => rule.ports?.some((port) => port.port === 53));
    expect(dnsRule?.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
  });

  it('narrows ingress to configured peers, admits internal callers to the gateway, and can be turned off', () => {
    const ingressController = {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
    };
    const caller = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apps' } } };
    const nodes = { ipBlock: { cidr: '10.0.0.0/16' } };
    const { policy } = render(
      ...mongo,
      '--set',
      'services.evaluation.public=false',
      '--set-json',
      `networkPolicy.ingressFrom=${JSON.stringify([ingressController])}`,
      '--set-json',
      `networkPolicy.internalCallers=${JSON.stringify([caller])}`,
      '--set-json',
      `networkPolicy.probeFrom=${JSON.stringify([nodes])}`,
      '--set',
      'otel.endpoint=http://collector.observability:4318',
    );
    // A private evaluation still admits human-review, which reads answers' lineage from it.
    const humanReviewPods = {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'human-review', 'app.kubernetes.io/instance': 'keel' } },
    };
    expect(policy('keel-evaluation')?.spec.ingress).toEqual([
      { from: [ingressController, nodes, humanReviewPods], ports: [{ protocol: 'TCP', port: 8083 }] },
    ]);
    // Health ports of gRPC-only services: the probe peers, never the ingress controller.
    expect(policy('keel-retrieval')?.spec.ingress?.[0]).toEqual({
      from: [nodes],
      ports: [{ protocol: 'TCP', port: 8084 }],
    });
    expect(policy('keel-inference-gateway')?.spec.ingress).toContainEqual({
      from: [caller],
      ports: [{ protocol: 'TCP', port: 50053 }],
    });
    for (const name of services) {
      expect(
        policy(`keel-${name}`)?.spec.egress?.some((rule) => rule.ports?.some((port) => port.port === 4318)),
        name,
      ).toBe(true);
    }

    const off = render(...mongo, '--set', 'networkPolicy.enabled=false');
    expect(off.policies).toEqual([]);
  });

  it('applies the staging example: users through the ingress controller, dependencies in their namespaces', () => {
    const { policy } = render('-f', environmentFile('staging'));
    for (const name of httpApis) {
      const ingress = policy(`keel-${name}`)?.spec.ingress ?? [];
      expect(
        ingress.every((rule) => rule.from !== undefined),
        name,
      ).toBe(true);
    }
    const kafka = policy('keel-ingestion')?.spec.egress?.find((rule) => rule.ports?.some((port) => port.port === 9092));
    expect(kafka?.to?.[0]?.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'data' } });
  });
});

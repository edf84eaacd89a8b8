/**
 * What `npm run platform:infra` runs: the six services as separate processes on the ports the
 * README documents, each with the environment that points it at the infrastructure of
 * `tools/infra` and at its peers. Pure functions, so a test can check the plan without starting it.
 */
import { randomBytes } from 'node:crypto';

export type ServiceName = 'policy' | 'retrieval' | 'ingestion' | 'inference-gateway' | 'evaluation' | 'human-review';

export interface ServicePorts {
  http: number;
  grpc?: number;
}

/** The README's ports ("Services and ports"); each app's config.ts has the same defaults. */
export const servicePorts: Readonly<Record<ServiceName, ServicePorts>> = {
  'inference-gateway': { http: 8080, grpc: 50053 },
  ingestion: { http: 8081 },
  'human-review': { http: 8082 },
  evaluation: { http: 8083 },
  retrieval: { http: 8084, grpc: 50051 },
  policy: { http: 8085, grpc: 50052 },
};

/** Start order: the gRPC services the others call first, then the rest together. */
export const startTiers: readonly (readonly ServiceName[])[] = [
  ['policy', 'retrieval'],
  ['ingestion', 'inference-gateway', 'evaluation', 'human-review'],
];

export interface ServicePlan {
  name: ServiceName;
  ports: ServicePorts;
  /** Where to reach it from this machine. */
  httpUrl: string;
  grpcAddress?: string;
  env: Record<string, string>;
}

export interface PlatformPlan {
  services: ServicePlan[];
  demoApiKey: string;
  /** Whether the runner made the key up (so it must print it). */
  demoApiKeyGenerated: boolean;
  internalTokenGenerated: boolean;
  infrastructure: Record<string, string>;
}

/** Reads the `export NAME=value` lines of `tools/infra/infra.sh env` (comments are skipped). */
export function parseInfraEnv(output: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1]) env[match[1]] = (match[2] ?? '').replace(/^'(.*)'$|^"(.*)"$/, '$1$2');
  }
  return env;
}

/** A host to dial: a wildcard bind address is reached through loopback. */
function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
}

/**
 * The environment of each service. From the caller's environment: `HOST` (default 127.0.0.1),
 * `KEEL_DEMO_API_KEY` and `KEEL_INTERNAL_TOKEN` (each made up when unset: the services have no
 * default key, and internal gRPC needs a shared secret of at least 32 characters), `KEEL_API_KEYS`
 * and anything else the services read (embeddings, log level) pass through unchanged.
 */
export function planPlatform(options: {
  env: NodeJS.ProcessEnv;
  infrastructure: Record<string, string>;
  dataDir: string;
  random?: (bytes: number) => string;
}): PlatformPlan {
  const random = options.random ?? ((bytes: number) => randomBytes(bytes).toString('hex'));
  const host = options.env.HOST?.trim() || '127.0.0.1';
  const peer = dialHost(host);
  const demoApiKey = options.env.KEEL_DEMO_API_KEY?.trim() || `keel-demo-${random(12)}`;
  const internalToken = options.env.KEEL_INTERNAL_TOKEN?.trim() || random(32);
  const inherited = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const common: Record<string, string> = {
    ...inherited,
    // The infrastructure of tools/infra wins over stale endpoints in the caller's shell.
    ...options.infrastructure,
    HOST: host,
    KEEL_DEMO_API_KEY: demoApiKey,
    KEEL_INTERNAL_TOKEN: internalToken,
    KEEL_DATA_DIR: options.env.KEEL_DATA_DIR?.trim() || options.dataDir,
    POLICY_ADDRESS: `${peer}:${servicePorts.policy.grpc}`,
    RETRIEVAL_ADDRESS: `${peer}:${servicePorts.retrieval.grpc}`,
  };
  const services = startTiers.flat().map((name): ServicePlan => {
    const ports = servicePorts[name];
    return {
      name,
      ports,
      httpUrl: `http://${peer}:${ports.http}`,
      ...(ports.grpc ? { grpcAddress: `${peer}:${ports.grpc}` } : {}),
      env: {
        ...common,
        HTTP_PORT: String(ports.http),
        ...(ports.grpc ? { GRPC_PORT: String(ports.grpc) } : {}),
      },
    };
  });
  return {
    services,
    demoApiKey,
    demoApiKeyGenerated: !options.env.KEEL_DEMO_API_KEY?.trim(),
    internalTokenGenerated: !options.env.KEEL_INTERNAL_TOKEN?.trim(),
    infrastructure: options.infrastructure,
  };
}

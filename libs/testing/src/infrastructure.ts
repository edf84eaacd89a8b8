/**
 * Finds real infrastructure for integration tests, in the order DESIGN.md gives:
 * URLs from the environment, then testcontainers where a container engine exists, then the
 * local processes started by `tools/infra`. When none is there the suite is skipped with the
 * reason in its name; under CI (`KEEL_REQUIRE_INFRA=1`) that skip becomes a failing test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type InfraSource = 'env' | 'testcontainers' | 'tools/infra';

export interface KafkaEndpoint {
  brokers: string[];
  source: InfraSource;
}

export interface MongoEndpoint {
  url: string;
  source: InfraSource;
}

export interface QdrantEndpoint {
  url: string;
  source: InfraSource;
}

/**
 * `required` overrides `KEEL_REQUIRE_INFRA` for one dependency: Qdrant runs locally only where its
 * binary is (`tools/infra` starts it from `../shared/bin/qdrant` or `KEEL_QDRANT_BIN`), so its
 * absence is a visible skip unless `KEEL_REQUIRE_QDRANT=1` asks for it; `.ci/run` sets that
 * whenever the binary is there.
 */
export type Availability<T> =
  | { available: true; endpoint: T }
  | { available: false; reason: string; required?: boolean };

interface LocalInfraState {
  kafka?: { brokers: string };
  mongodb?: { url: string };
  qdrant?: { url: string };
}

const isSet = (value: string | undefined) => value === '1' || value === 'true';

export function infraIsRequired(): boolean {
  return isSet(process.env.KEEL_REQUIRE_INFRA);
}

/** Qdrant is required only when asked (`KEEL_REQUIRE_QDRANT=1`), whatever `KEEL_REQUIRE_INFRA` says. */
export function qdrantIsRequired(): boolean {
  return isSet(process.env.KEEL_REQUIRE_QDRANT);
}

function localInfraStatePath(): string {
  const cache = process.env.KEEL_INFRA_HOME ?? join(homedir(), '.cache', 'keel-infra');
  return join(process.env.KEEL_INFRA_RUN ?? join(cache, 'run'), 'infra.json');
}

function readLocalInfraState(): LocalInfraState | undefined {
  const path = localInfraStatePath();
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalInfraState;
  } catch {
    return undefined;
  }
}

/** Resolves when something accepts TCP connections at host:port within the timeout. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const withoutScheme = address.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  const hostPart = withoutScheme.includes('@') ? withoutScheme.split('@').pop() : withoutScheme;
  const [host = '127.0.0.1', port] = (hostPart ?? '').split(',')[0]?.split(':') ?? [];
  return { host, port: port ? Number(port) : defaultPort };
}

let containerEngine: Promise<boolean> | undefined;

/** Whether testcontainers finds a working container runtime (checked once per process). */
export function hasContainerEngine(): Promise<boolean> {
  containerEngine ??= (async () => {
    try {
      const { getContainerRuntimeClient } = await import('testcontainers');
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return containerEngine;
}

const containers = new Map<string, Promise<string>>();

/** Starts one container per image for the whole test process; Ryuk removes it afterwards. */
function startContainer(key: string, start: () => Promise<string>): Promise<string> {
  let started = containers.get(key);
  if (!started) {
    started = start();
    containers.set(key, started);
  }
  return started;
}

export async function findKafka(): Promise<Availability<KafkaEndpoint>> {
  if (process.env.KAFKA_BROKERS) {
    return { available: true, endpoint: { brokers: process.env.KAFKA_BROKERS.split(','), source: 'env' } };
  }
  if (await hasContainerEngine()) {
    const brokers = await startContainer('kafka', async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const port = 9092;
      const container = await new GenericContainer('apache/kafka:3.9.1')
        .withExposedPorts({ container: port, host: 39092 })
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
          KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:39092',
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_NUM_PARTITIONS: '3',
        })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .start();
      return `${container.getHost()}:39092`;
    });
    return { available: true, endpoint: { brokers: [brokers], source: 'testcontainers' } };
  }
  const local = readLocalInfraState()?.kafka?.brokers;
  if (local) {
    const { host, port } = hostPort(local, 9092);
    if (await isPortOpen(host, port)) {
      return { available: true, endpoint: { brokers: local.split(','), source: 'tools/infra' } };
    }
    return { available: false, reason: `Kafka from tools/infra is not answering at ${local}` };
  }
  return {
    available: false,
    reason: 'no Kafka: set KAFKA_BROKERS, provide a container engine, or run `npm run infra:start`',
  };
}

export async function findMongo(): Promise<Availability<MongoEndpoint>> {
  if (process.env.MONGODB_URL) {
    return { available: true, endpoint: { url: process.env.MONGODB_URL, source: 'env' } };
  }
  if (await hasContainerEngine()) {
    const url = await startContainer('mongodb', async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('mongo:7')
        .withExposedPorts(27017)
        .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
        .start();
      return `mongodb://${container.getHost()}:${container.getMappedPort(27017)}/`;
    });
    return { available: true, endpoint: { url, source: 'testcontainers' } };
  }
  const local = readLocalInfraState()?.mongodb?.url;
  if (local) {
    const { host, port } = hostPort(local, 27017);
    if (await isPortOpen(host, port)) return { available: true, endpoint: { url: local, source: 'tools/infra' } };
    return { available: false, reason: `FerretDB from tools/infra is not answering at ${local}` };
  }
  return {
    available: false,
    reason: 'no MongoDB-protocol server: set MONGODB_URL, provide a container engine, or run `npm run infra:start`',
  };
}

export async function findQdrant(): Promise<Availability<QdrantEndpoint>> {
  if (process.env.QDRANT_URL) {
    return { available: true, endpoint: { url: process.env.QDRANT_URL, source: 'env' } };
  }
  if (await hasContainerEngine()) {
    const url = await startContainer('qdrant', async () => {
      const { GenericContainer, Wait } = await import('testcontainers');
      const container = await new GenericContainer('qdrant/qdrant:v1.15.5')
        .withExposedPorts(6333)
        .withWaitStrategy(Wait.forHttp('/readyz', 6333))
        .start();
      return `http://${container.getHost()}:${container.getMappedPort(6333)}`;
    });
    return { available: true, endpoint: { url, source: 'testcontainers' } };
  }
  const local = readLocalInfraState()?.qdrant?.url;
  if (local) {
    const { host, port } = hostPort(local, 6333);
    if (await isPortOpen(host, port)) return { available: true, endpoint: { url: local, source: 'tools/infra' } };
    return {
      available: false,
      reason: `Qdrant from tools/infra is not answering at ${local}`,
      required: qdrantIsRequired(),
    };
  }
  return {
    available: false,
    reason:
      'no Qdrant: set QDRANT_URL, provide a container engine, or run `npm run infra:start` ' +
      '(it starts Qdrant when ../shared/bin/qdrant or KEEL_QDRANT_BIN exists)',
    required: qdrantIsRequired(),
  };
}

export interface HelmEndpoint {
  binary: string;
}

/** Helm from `HELM_BIN`, the `tools/infra` cache (`infra.sh install-helm`), or the PATH. */
export async function findHelm(): Promise<Availability<HelmEndpoint>> {
  const cache = process.env.KEEL_INFRA_HOME ?? join(homedir(), '.cache', 'keel-infra');
  const candidates = [process.env.HELM_BIN, join(cache, 'bin', 'helm')].filter((path): path is string => !!path);
  for (const binary of candidates) if (existsSync(binary)) return { available: true, endpoint: { binary } };
  const { spawnSync } = await import('node:child_process');
  const onPath = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' });
  if (onPath.status === 0) return { available: true, endpoint: { binary: 'helm' } };
  return { available: false, reason: 'no helm: run `bash tools/infra/infra.sh install-helm` or set HELM_BIN' };
}

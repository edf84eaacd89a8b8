/**
 * `npm run platform:infra`: the six services as separate processes on this machine, against the
 * real Kafka, MongoDB-protocol server (FerretDB) and Qdrant of `tools/infra`, on the README's ports.
 * It starts the infrastructure, then policy and retrieval, then the other four, waits for every
 * `/readyz`, prints the URLs and the demo key, and prints each service's lines under its name.
 * Ctrl-C stops the services (front ones first); the infrastructure keeps running if it already
 * ran before, and is stopped otherwise (`--keep-infra` keeps it either way).
 * See docs/running-on-infrastructure.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseInfraEnv, planPlatform, type ServicePlan, startTiers } from './platform-on-infra.js';
import {
  portInUse,
  type ServiceProcess,
  startServiceProcess,
  stopServiceProcess,
  waitUntilReady,
} from './service-processes.js';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const infraScript = join(repositoryRoot, 'tools/infra/infra.sh');
const keepInfra = process.argv.includes('--keep-infra');
const color = process.stdout.isTTY && !process.env.NO_COLOR;

const say = (line: string) =>
  process.stdout.write(`${color ? '\x1b[1m' : ''}[platform]${color ? '\x1b[0m' : ''} ${line}\n`);

function infra(command: string, capture = false): { status: number | null; stdout: string } {
  const result = spawnSync('bash', [infraScript, command], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  return { status: result.status, stdout: result.stdout ?? '' };
}

const palette = [36, 32, 33, 35, 34, 31];
const nameWidth = Math.max(...startTiers.flat().map((name) => name.length));
function printer(name: string, index: number): (line: string) => void {
  const label = name.padEnd(nameWidth);
  const prefix = color ? `\x1b[${palette[index % palette.length]}m${label}\x1b[0m |` : `${label} |`;
  return (line) => process.stdout.write(`${prefix} ${line}\n`);
}

const running: ServiceProcess[] = [];
let infraStartedHere = false;
let stopping: Promise<void> | undefined;

async function stopAll(exitCode: number): Promise<never> {
  stopping ??= (async () => {
    // The services that take requests first, then the gRPC services they call.
    for (const tier of [...startTiers].reverse()) {
      const inTier = running.filter((service) => (tier as readonly string[]).includes(service.name));
      if (inTier.length === 0) continue;
      say(`stopping ${inTier.map((service) => service.name).join(', ')}...`);
      const codes = await Promise.all(inTier.map((service) => stopServiceProcess(service)));
      codes.forEach((code, i) => {
        if (code !== 0 && code !== null) say(`${inTier[i]?.name} exited with ${code}`);
      });
    }
    if (infraStartedHere && !keepInfra) {
      say('stopping the infrastructure this run started (--keep-infra keeps it)...');
      infra('stop');
    } else {
      say('the infrastructure keeps running; `npm run infra:stop` stops it');
    }
  })();
  await stopping;
  process.exit(exitCode);
}

// A second Ctrl-C while stopping: kill what is left and leave. One Ctrl-C can arrive more than
// once (the terminal signals the whole process group, and npm and tsx pass it on as well), so
// signals within the first two seconds count as that same one.
let firstSignalAt: number | undefined;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      process.stdout.write('\n');
      void stopAll(0);
    } else if (Date.now() - firstSignalAt > 2_000) {
      say('stopping again: killing what is left');
      for (const service of running) service.child.kill('SIGKILL');
      process.exit(130);
    }
  });
}
// Whatever ends this process, no service outlives it (they run in their own process groups).
process.on('exit', () => {
  for (const service of running) if (service.child.exitCode === null) service.child.kill('SIGKILL');
});

async function main(): Promise<void> {
  say('infrastructure: tools/infra/infra.sh install + start (Kafka, FerretDB, Qdrant when its binary is there)');
  const wasRunning = infra('status', true).status === 0;
  if (infra('install').status !== 0) throw new Error('tools/infra/infra.sh install failed (see above)');
  if (infra('start').status !== 0) throw new Error('tools/infra/infra.sh start failed (see above)');
  infraStartedHere = !wasRunning;
  const infrastructure = parseInfraEnv(infra('env', true).stdout);
  if (!infrastructure.KAFKA_BROKERS || !infrastructure.MONGODB_URL) {
    throw new Error('tools/infra/infra.sh env printed no KAFKA_BROKERS / MONGODB_URL');
  }

  const dataDir = join(repositoryRoot, '.keel', 'platform-infra');
  mkdirSync(dataDir, { recursive: true });
  const plan = planPlatform({ env: process.env, infrastructure, dataDir });
  const bindHost = plan.services[0]?.env.HOST ?? '127.0.0.1';

  const busy: string[] = [];
  for (const service of plan.services) {
    for (const port of [service.ports.http, service.ports.grpc]) {
      if (port !== undefined && (await portInUse(port, bindHost))) busy.push(`${port} (${service.name})`);
    }
  }
  if (busy.length > 0) {
    throw new Error(`port(s) already in use: ${busy.join(', ')}; is \`npm start\` or another run still up?`);
  }

  let index = 0;
  for (const tier of startTiers) {
    const starting = plan.services.filter((service) => tier.includes(service.name));
    say(`starting ${starting.map((service) => service.name).join(', ')}...`);
    const started = starting.map((service) => {
      const child = startServiceProcess(service.name, service.env, {
        detached: true,
        onLine: printer(service.name, index++),
      });
      running.push(child);
      return { service, child };
    });
    await Promise.all(
      started.map(({ service, child }) =>
        waitUntilReady(child, `${service.httpUrl}/readyz`, 120_000).catch((error: Error) => {
          throw new Error((error.message.split('\n')[0] ?? error.message).trim());
        }),
      ),
    );
  }
  // From here on, a service that exits on its own takes the platform down with it.
  for (const service of running) {
    void service.exited.then((code) => {
      if (stopping) return;
      say(`${service.name} exited with ${code}; stopping the others`);
      void stopAll(1);
    });
  }
  printSummary(plan.services, plan);
}

function printSummary(services: ServicePlan[], plan: ReturnType<typeof planPlatform>): void {
  const byName = Object.fromEntries(services.map((service) => [service.name, service]));
  const gateway = byName['inference-gateway']?.httpUrl ?? 'http://127.0.0.1:8080';
  const ingestion = byName.ingestion?.httpUrl ?? 'http://127.0.0.1:8081';
  const lines = [
    '',
    'Keel runs as six processes on real infrastructure:',
    ...services.map(
      (service) =>
        `  ${service.name.padEnd(nameWidth)}  ${service.httpUrl}${service.grpcAddress ? `   gRPC ${service.grpcAddress}` : ''}`,
    ),
    `  ${'Kafka'.padEnd(nameWidth)}  ${plan.infrastructure.KAFKA_BROKERS}`,
    `  ${'MongoDB'.padEnd(nameWidth)}  ${plan.infrastructure.MONGODB_URL} (FerretDB)`,
    plan.infrastructure.QDRANT_URL
      ? `  ${'Qdrant'.padEnd(nameWidth)}  ${plan.infrastructure.QDRANT_URL}`
      : `  ${'vectors'.padEnd(nameWidth)}  no Qdrant binary: the embedded index under ${services[0]?.env.KEEL_DATA_DIR}/vectors`,
    '',
    `Demo API key (tenant "demo"): ${plan.demoApiKey}${plan.demoApiKeyGenerated ? '   (made up for this run; set KEEL_DEMO_API_KEY to choose one)' : ''}`,
    `Internal gRPC token: ${plan.internalTokenGenerated ? 'made up for this run (set KEEL_INTERNAL_TOKEN to choose one)' : 'KEEL_INTERNAL_TOKEN'}`,
    '',
    'Try:',
    `  curl -s ${ingestion}/v1/documents -H 'authorization: Bearer ${plan.demoApiKey}' -H 'content-type: application/json' \\`,
    `    -d '{"title":"Note","contentType":"text/markdown","text":"# Office\\nThe office opens at 8am."}'`,
    `  curl -s ${gateway}/v1/answers -H 'authorization: Bearer ${plan.demoApiKey}' -H 'content-type: application/json' \\`,
    `    -d '{"question":"When does the office open?"}'`,
    '',
    'Ctrl-C stops the services.',
    '',
  ];
  for (const line of lines) say(line);
}

main().catch((error: unknown) => {
  say(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
  void stopAll(1);
});

/**
 * Where the gateway should evaluate policy (issue 6, guardrails): a gRPC `Policy/Check` round trip
 * to the policy service against the gateway evaluating the tenant's compiled policy in process,
 * on the same 2 KB texts, one check at a time, in the same run. Subjects:
 *  - baseline: a gRPC Check to a server that answers at once (the transport alone: serialisation,
 *    HTTP/2, the internal-token check);
 *  - remote: the gateway's gRPC PolicyGate against the real policy service (its own process,
 *    embedded store and bus: it evaluates, stores and publishes each decision);
 *  - in process: the compiled policy's `check` alone, and the gateway's in-process gate (the same,
 *    plus publishing the audit event on the embedded bus);
 *  - the held-back window of streams: one in-process window check of ~300 characters (what each
 *    sentence of a streamed answer costs before it is released).
 *
 *   npx tsx bench/run.ts policy-evaluation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CheckRequest,
  type CheckResponse,
  Decision,
  PolicyService,
  type ScanRequest,
  type ScanResponse,
} from '@keel/contracts/policy/v1';
import { EventPublisher } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createLogger, grpcHealthCheck, startGrpcServer, unaryHandler } from '@keel/platform';
import { testInternalAuth, testInternalAuthEnv } from '@keel/platform/testing';
import { PolicySnapshotCache } from '@keel/policy-engine';
import { waitFor } from '@keel/testing';
import { createDecisionAudit } from '../apps/inference-gateway/src/guardrails/decision-audit.js';
import { createInProcessPolicyGate } from '../apps/inference-gateway/src/guardrails/in-process-policy-gate.js';
import { createGrpcPolicyGate } from '../apps/inference-gateway/src/outbound/grpc-policy-gate.js';
import {
  type Benchmark,
  integerSetting,
  latencyRow,
  percentile,
  pick,
  type Row,
  seededRandom,
  timeEach,
} from './harness.js';

const settings = {
  checks: integerSetting('BENCH_POLICY_EVALUATION_CHECKS', 2000),
  warmup: 200,
  size: 2048,
  windowSize: 300,
  seed: 61,
};

const sentences = [
  'Please send the invoice to maria.keller@example.com before Friday.',
  'Call me back on +1 415 555 0133 after lunch, or text the office line.',
  'The card ending 4111 1111 1111 1111 was charged twice for order 5521.',
  'Refunds are paid to the original card within five working days.',
  'Délai de livraison : trois à cinq jours ouvrés, selon la région.',
  'Order ４２ was split into two parcels and shipped from the Leeds warehouse.',
  'The warranty covers manufacturing defects for two years from purchase.',
  'Set AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the build only.',
  'Customers who changed their address should update it before the next shipment.',
  'Wire the deposit to GB82 WEST 1234 5698 7654 32 before the end of the month.',
];

function textOfSize(size: number, seed: number): string {
  const random = seededRandom(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const sentence = pick(random, sentences);
    parts.push(sentence);
    length += sentence.length + 1;
  }
  return parts.join(' ').slice(0, size);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function startPolicyService(dataDir: string): Promise<{ address: string; child: ChildProcess }> {
  const grpcPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GRPC_PORT: String(grpcPort),
    HTTP_PORT: String(await freePort()),
    HOST: '127.0.0.1',
    KEEL_DATA_DIR: dataDir,
    ...testInternalAuthEnv,
    KEEL_API_KEYS: 'bench-key=demo',
    LOG_LEVEL: 'warn',
  };
  delete env.KAFKA_BROKERS;
  delete env.MONGODB_URL;
  const main = fileURLToPath(new URL('../apps/policy/src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', main], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const address = `127.0.0.1:${grpcPort}`;
  const health = grpcHealthCheck(address, { auth: testInternalAuth });
  try {
    await waitFor(
      'the policy service',
      async () => {
        if (child.exitCode !== null) throw new Error(`policy exited with ${child.exitCode}: ${stderr}`);
        return (await health()).ok;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
  } finally {
    health.close();
  }
  return { address, child };
}

function withP99(row: Row, samples: readonly number[]): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  return { ...row, 'p99 ms': percentile(sorted, 0.99) };
}

async function run() {
  const rows: Row[] = [];
  const notes: string[] = [];
  const logger = createLogger('bench-policy-evaluation', { level: 'silent' });
  const texts = Array.from({ length: 50 }, (_, index) => textOfSize(settings.size, settings.seed + index));
  const at = (index: number) => texts[((index % texts.length) + texts.length) % texts.length] as string;
  const windows = texts.map((text) => text.slice(0, settings.windowSize));
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-policy-'));
  const bus = createEmbeddedEventBus();
  const identity = { auth: testInternalAuth, callerName: 'bench' };
  const echo = await startGrpcServer({
    port: 0,
    logger,
    auth: testInternalAuth,
    services: [
      {
        definition: PolicyService,
        implementation: {
          check: unaryHandler<CheckRequest, CheckResponse>(logger, async (request) => ({
            decision: Decision.DECISION_ALLOW,
            text: request.text,
            findings: [],
            reason: '',
            policyVersion: 'echo',
            decisionId: 'echo',
            rulesFired: [],
          })),
          scan: unaryHandler<ScanRequest, ScanResponse>(logger, async () => {
            throw new Error('not used');
          }),
        },
      },
    ],
  });
  const baseline = createGrpcPolicyGate({ address: echo.address, deadlineMs: 5000, identity });
  let service: { address: string; child: ChildProcess } | undefined;
  try {
    service = await startPolicyService(dataDir);
    const remote = createGrpcPolicyGate({ address: service.address, deadlineMs: 5000, identity });
    // The default policy, as the service applies it to a tenant without one of its own.
    const snapshots = new PolicySnapshotCache();
    await snapshots.load([]);
    const policy = snapshots.policyFor('bench-tenant');
    const inProcess = createInProcessPolicyGate({ snapshots, audit: createDecisionAudit(new EventPublisher(bus)) });
    const check = (text: string, index: number) => ({
      tenantId: 'bench-tenant',
      stage: 'input' as const,
      text,
      contexts: [],
      requestId: `bench-${index}`,
      readRequires: [],
    });
    const subjects: [string, string, (index: number) => unknown][] = [
      ['baseline: gRPC Check, server answers at once', '2 KB', (index) => baseline.check(check(at(index), index))],
      ['remote: gRPC Check to the policy service', '2 KB', (index) => remote.check(check(at(index), index))],
      ['in process: compiled policy check', '2 KB', (index) => policy.check({ stage: 'input', text: at(index) })],
      ['in process: gateway gate (+ audit event)', '2 KB', (index) => inProcess.check(check(at(index), index))],
      [
        'in process: stream window check',
        `${settings.windowSize} chars`,
        (index) =>
          inProcess.check({ ...check(windows[Math.abs(index) % windows.length] as string, index), audit: false }),
      ],
    ];
    const p50s = new Map<string, number>();
    for (const [subject, size, operation] of subjects) {
      const { stats, samples } = await timeEach(settings.checks, settings.warmup, operation);
      p50s.set(subject, stats.p50Ms);
      rows.push(withP99(latencyRow(subject, `check ${size}`, stats), samples));
    }
    remote.close();
    const remoteP50 = p50s.get(subjects[1]?.[0] ?? '') ?? Number.NaN;
    const localP50 = p50s.get(subjects[3]?.[0] ?? '') ?? Number.NaN;
    notes.push(
      `p50 remote / in-process gate: ${(remoteP50 / localP50).toFixed(2)}x; the transport alone (baseline) costs ${(p50s.get(subjects[0]?.[0] ?? '') ?? Number.NaN).toFixed(3)} ms`,
    );
  } finally {
    baseline.close();
    await echo.close();
    if (service && service.child.exitCode === null) {
      const child = service.child;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    await bus.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    config: { ...settings },
    tables: [{ title: 'policy check: gRPC round trip vs in process (one at a time)', rows }],
    notes,
  };
}

export const policyEvaluationBenchmark: Benchmark = {
  name: 'policy-evaluation',
  description: 'a gRPC Policy/Check round trip vs the gateway evaluating the compiled policy in process (2 KB)',
  run,
};

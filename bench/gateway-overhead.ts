/**
 * What a gateway adds over calling its model directly: a zero-delay fake model server (the real
 * OpenAI wire format, its own process) called directly, through @portkey-ai/gateway 1.15.2 and
 * through Keel's inference-gateway (with API-key auth, limits, budgets, the usage ledger and
 * tracing exported over OTLP; the policy evaluated in process), each a separate process. Latency at concurrency 1 and throughput at concurrency 32,
 * guardrails off and with the default policy. The direct call is the baseline of the same run;
 * the targets are ratios to the peer gateway measured in the same run. Two floors (a bare
 * node:http proxy, an express JSON proxy) show what any Node or express gateway adds here.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildServer, startChildServer } from './gateway/child-process.js';
import { createClient, type Target } from './gateway/http-load.js';
import { type Benchmark, type BenchmarkReport, integerSetting, percentile, type Row, skippedRow } from './harness.js';

const settings = {
  requests: integerSetting('BENCH_GATEWAY_REQUESTS', 2_000),
  warmup: integerSetting('BENCH_GATEWAY_WARMUP', 300),
  concurrency: integerSetting('BENCH_GATEWAY_CONCURRENCY', 32),
  seconds: integerSetting('BENCH_GATEWAY_SECONDS', 10),
};

/**
 * `BENCH_GATEWAY_SUBJECTS=direct,keel-off` measures only those (of `direct`, `bare`, `express`,
 * `portkey`, `keel-off`, `keel-default`): quicker rounds while tuning one of them; the committed results measure all.
 */
const subjects = new Set(
  (process.env.BENCH_GATEWAY_SUBJECTS ?? 'direct,bare,express,portkey,keel-off,keel-default')
    .split(',')
    .map((name) => name.trim()),
);

const tsx = join('node_modules', '.bin', 'tsx');
/**
 * Proxies that only forward: the least any Node gateway (`bare`), and any express gateway that
 * reads the request (`express`), can add on this machine. The targets are read against them too.
 */
const floors = [
  { name: 'bare', subject: 'floor: bare node:http proxy', script: 'bench/gateway/bare-proxy.ts' },
  { name: 'express', subject: 'floor: express JSON proxy', script: 'bench/gateway/express-proxy.ts' },
] as const;
const isFloor = (subject: string) => floors.some((floor) => floor.subject === subject);
const model = 'fake-small';
const chatBody = JSON.stringify({
  model,
  messages: [
    { role: 'system', content: 'You are a concise assistant.' },
    { role: 'user', content: 'Say hello to the benchmark in one short sentence, please.' },
  ],
  max_tokens: 32,
});

interface Measured {
  subject: string;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  rps: number;
  errors: number;
  rssMb: number;
  /** The subject process's CPU time per request under load (the machine's load does not inflate it much). */
  cpuMsPerRequest: number;
}

export const gatewayOverheadBenchmark: Benchmark = {
  name: 'gateway-overhead',
  description: 'latency and throughput a gateway adds over a zero-delay model: Keel vs @portkey-ai/gateway',
  async run(): Promise<BenchmarkReport> {
    const notes: string[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'keel-bench-gateway-'));
    const children: ChildServer[] = [];
    const sink = await startTraceSink();
    const client = createClient(settings.concurrency * 2);
    const measured: Measured[] = [];
    const skipped: Row[] = [];
    try {
      const upstream = await startChildServer({
        name: 'fake model server',
        command: tsx,
        args: ['bench/gateway/fake-model-server.ts'],
        env: {},
        jsonLine: true,
      });
      children.push(upstream);
      const upstreamUrl = String(upstream.firstJsonLine?.url);

      const measure = async (subject: string, target: Target, server?: ChildServer) => {
        for (let index = 0; index < settings.warmup; index++) await client.expectOk(target);
        const samples: number[] = [];
        for (let index = 0; index < settings.requests; index++) {
          const started = performance.now();
          await client.expectOk(target);
          samples.push(performance.now() - started);
        }
        samples.sort((a, b) => a - b);
        const cpuBefore = server?.cpuMs() ?? Number.NaN;
        const load = await client.throughput(target, settings.concurrency, settings.seconds * 1000);
        const cpuUsed = (server?.cpuMs() ?? Number.NaN) - cpuBefore;
        if (load.firstError) notes.push(`${subject}: ${load.errors} errors under load, first: ${load.firstError}`);
        measured.push({
          subject,
          p50Ms: percentile(samples, 0.5),
          p99Ms: percentile(samples, 0.99),
          meanMs: samples.reduce((sum, value) => sum + value, 0) / samples.length,
          rps: load.requestsPerSec,
          errors: load.errors,
          rssMb: server?.rssMb() ?? Number.NaN,
          cpuMsPerRequest: cpuUsed / (load.requests + load.errors),
        });
      };

      await measure('direct (baseline)', {
        url: `${upstreamUrl}/v1/chat/completions`,
        headers: { authorization: 'Bearer bench' },
        body: chatBody,
      });

      for (const floor of floors) {
        if (!subjects.has(floor.name)) continue;
        const proxy = await startChildServer({
          name: floor.subject,
          // Node itself (not tsx's wrapper process), so that its CPU time is the proxy's.
          command: process.execPath,
          args: ['--import', 'tsx', floor.script, upstreamUrl],
          env: {},
          jsonLine: true,
        });
        children.push(proxy);
        await measure(
          floor.subject,
          {
            url: `${String(proxy.firstJsonLine?.url)}/v1/chat/completions`,
            headers: { authorization: 'Bearer bench' },
            body: chatBody,
          },
          proxy,
        );
        await proxy.stop();
      }

      const portkeyPort = await freePort();
      if (subjects.has('portkey'))
        try {
          const portkey = await startChildServer({
            name: 'portkey',
            command: process.execPath,
            args: ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${portkeyPort}`, '--headless'],
            env: {},
            ready: () => httpOk(`http://127.0.0.1:${portkeyPort}/`),
          });
          children.push(portkey);
          await measure(
            '@portkey-ai/gateway 1.15.2',
            {
              url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
              headers: {
                authorization: 'Bearer bench',
                'x-portkey-provider': 'openai',
                'x-portkey-custom-host': `${upstreamUrl}/v1`,
              },
              body: chatBody,
            },
            portkey,
          );
          await portkey.stop();
        } catch (error) {
          skipped.push(skippedRow('@portkey-ai/gateway 1.15.2', (error as Error).message.split('\n')[0] ?? ''));
        }

      for (const guardrails of ['off', 'default'] as const) {
        if (!subjects.has(`keel-${guardrails}`)) continue;
        const subject = `keel inference-gateway, guardrails ${guardrails}`;
        try {
          const keel = await startKeel({ upstreamUrl, traceSinkUrl: sink.url, dataDir, guardrails });
          children.push(...keel.children);
          await measure(subject, keel.target, keel.gateway);
          for (const child of keel.children) await child.stop();
        } catch (error) {
          skipped.push(skippedRow(subject, (error as Error).message.split('\n')[0] ?? ''));
        }
      }
    } finally {
      client.close();
      for (const child of children.reverse()) await child.stop();
      await new Promise((resolve) => sink.server.close(resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }

    return {
      config: { ...settings, model, tracing: 'OTLP/HTTP to a local sink' },
      tables: [
        {
          title: 'Latency at concurrency 1 and throughput at concurrency 32',
          rows: [...measured.map(row), ...skipped],
        },
        { title: 'Against the peer gateway (targets from issue 6)', rows: targetRows(measured) },
      ],
      notes,
    };
  },
};

function row(measured: Measured): Row {
  return {
    subject: measured.subject,
    'p50 ms': measured.p50Ms,
    'p99 ms': measured.p99Ms,
    'mean ms': measured.meanMs,
    [`rps @${settings.concurrency}`]: measured.rps,
    errors: measured.errors,
    'rss MB': measured.rssMb,
    'cpu ms/req': measured.cpuMsPerRequest,
  };
}

/** Added latency is the subject's minus the direct call's; the targets compare it with the peer's. */
function targetRows(measured: Measured[]): Row[] {
  const direct = measured.find((entry) => entry.subject.startsWith('direct'));
  const peer = measured.find((entry) => entry.subject.startsWith('@portkey'));
  if (!direct || !peer) return [{ subject: 'not computed: the direct call or the peer was not measured' }];
  const peerAddedP50 = peer.p50Ms - direct.p50Ms;
  const peerAddedP99 = peer.p99Ms - direct.p99Ms;
  const targets = {
    off: { p50: 0.25, p99: 0.5, rps: 3 },
    default: { p50: 0.5, p99: Number.NaN, rps: 2 },
  };
  return (
    measured
      // The floor is read against the guardrails-off targets: what any Node gateway could reach here.
      .filter((entry) => entry.subject.startsWith('keel') || isFloor(entry.subject))
      .map((entry) => {
        const target = entry.subject.endsWith('default') ? targets.default : targets.off;
        const addedP50 = entry.p50Ms - direct.p50Ms;
        const addedP99 = entry.p99Ms - direct.p99Ms;
        return {
          subject: entry.subject,
          'added p50 ms': addedP50,
          'peer added p50 ms': peerAddedP50,
          'p50 ratio': addedP50 / peerAddedP50,
          'p50 target': `≤ ${target.p50}`,
          'added p99 ms': addedP99,
          'peer added p99 ms': peerAddedP99,
          'p99 ratio': addedP99 / peerAddedP99,
          'p99 target': Number.isNaN(target.p99) ? 'none' : `≤ ${target.p99}`,
          'rps ratio': entry.rps / peer.rps,
          'rps target': `≥ ${target.rps}`,
        };
      })
  );
}

interface KeelUnderTest {
  gateway: ChildServer;
  children: ChildServer[];
  target: Target;
}

async function startKeel(options: {
  upstreamUrl: string;
  traceSinkUrl: string;
  dataDir: string;
  guardrails: 'off' | 'default';
}): Promise<KeelUnderTest> {
  const apiKey = `bench-${randomBytes(12).toString('hex')}`;
  const tenant = 'bench-tenant';
  const common = {
    HOST: '127.0.0.1',
    KEEL_API_KEYS: `${apiKey}=${tenant}::bench`,
    KEEL_INTERNAL_TOKEN: randomBytes(24).toString('hex'),
    KEEL_DATA_DIR: join(options.dataDir, options.guardrails),
    OTEL_EXPORTER_OTLP_ENDPOINT: options.traceSinkUrl,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
  // The policy service owns each tenant's policy; the gateway evaluates it in process. "Off" is a
  // tenant whose policy has no rules, as a platform team switches guardrails off for one tenant.
  const seedFile = join(options.dataDir, `policy-seed-${options.guardrails}.json`);
  writeFileSync(seedFile, JSON.stringify(options.guardrails === 'off' ? { [tenant]: { rules: [] } } : {}));
  const policyGrpc = await freePort();
  const policyHttp = await freePort();
  const children: ChildServer[] = [
    await startChildServer({
      name: 'policy',
      command: process.execPath,
      args: ['--import', 'tsx', 'apps/policy/src/main.ts'],
      env: { ...common, GRPC_PORT: String(policyGrpc), HTTP_PORT: String(policyHttp), POLICY_SEED_FILE: seedFile },
      ready: () => httpOk(`http://127.0.0.1:${policyHttp}/readyz`),
    }),
  ];
  const httpPort = await freePort();
  const gateway = await startChildServer({
    name: 'inference-gateway',
    command: process.execPath,
    args: [
      ...profileArgs(`gateway-guardrails-${options.guardrails}`),
      '--import',
      'tsx',
      'apps/inference-gateway/src/main.ts',
    ],
    env: {
      ...common,
      ...limitsAndBudgets,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(await freePort()),
      POLICY_ADDRESS: `127.0.0.1:${policyGrpc}`,
      RETRIEVAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      OPENAI_API_KEY: 'bench',
      OPENAI_BASE_URL: `${options.upstreamUrl}/v1`,
    },
    ready: async () => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/v1/models`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return response.ok && (await response.text()).includes(model);
    },
  });
  children.push(gateway);
  return {
    gateway,
    children,
    target: {
      url: `http://127.0.0.1:${httpPort}/v1/chat/completions`,
      headers: { authorization: `Bearer ${apiKey}` },
      body: chatBody,
    },
  };
}

/** `BENCH_GATEWAY_PROFILE_DIR` writes V8 CPU profiles of each Keel gateway run to `<dir>/<run>/` (one per thread). */
function profileArgs(name: string): string[] {
  const directory = process.env.BENCH_GATEWAY_PROFILE_DIR;
  // One directory per run: tsx's loader thread writes a profile of its own, and a fixed file name
  // would let it overwrite the main thread's.
  return directory ? ['--cpu-prof', `--cpu-prof-dir=${join(directory, name)}`] : [];
}

/**
 * Limits and budgets switched on for the tenant and the key, high enough never to refuse: the
 * benchmark measures what checking and settling them costs on every request.
 */
const limitsAndBudgets = {
  KEEL_TENANT_REQUESTS_PER_MINUTE: '10000000',
  KEEL_TENANT_TOKENS_PER_MINUTE: '10000000000',
  KEEL_KEY_REQUESTS_PER_MINUTE: '10000000',
  KEEL_KEY_TOKENS_PER_MINUTE: '10000000000',
  KEEL_TENANT_BUDGET: '1000000/day',
  KEEL_KEY_BUDGET: '1000000/day',
};

/** Accepts OTLP/HTTP exports and drops them: tracing costs the gateway its real export work. */
async function startTraceSink(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url).catch(() => undefined);
  return response !== undefined && response.status < 500;
}

/**
 * The routing file's life: refused at start with its line and reason, reloaded on change without
 * a restart (by the watch, or by the poll when events are lost), a no-op write ignored, and an
 * invalid version logged with its line while the previous one keeps serving. And the
 * conventional variables alone, and together with a file.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAiCompatibleProvider } from '@keel/models/providers';
import { type FakeUpstream, startFakeUpstream } from '@keel/models/testing';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayRouting, type GatewayRouting, type GatewayRoutingOptions } from './gateway-routing.js';
import type { RoutingSnapshot } from './model-router.js';

const key = 'sk-reload-secret-999';
let upstream: FakeUpstream;
let directory: string;
const opened: GatewayRouting[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream({ apiKey: key, models: ['listed-a', 'listed-b'] });
  directory = await mkdtemp(join(tmpdir(), 'keel-reload-'));
});
afterAll(async () => {
  await upstream?.close();
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  for (const routing of opened.splice(0)) routing.stop();
});

const fileText = (models: string, pricing = '') => `
providers:
  local:
    kind: openai
    baseUrl: ${upstream.url}/v1
    apiKeyEnv: LOCAL_KEY
models:
${models}
${pricing}`;

const one = (name: string) => `  ${name}:\n    deployments:\n      - { provider: local, model: listed-a }\n`;

async function start(
  text: string | undefined,
  overrides: Partial<GatewayRoutingOptions> = {},
): Promise<{ routing: GatewayRouting; file: string; lines: () => Record<string, unknown>[] }> {
  const file = join(directory, `routing-${Math.random().toString(36).slice(2)}.yaml`);
  if (text !== undefined) await writeFile(file, text);
  const { logger, lines } = createTestLogger('routing');
  const routing = await createGatewayRouting({
    file,
    environmentProviders: [],
    defaults: { maxAttempts: 1, attemptTimeoutMs: 1000, totalTimeoutMs: 2000, baseDelayMs: 1, maxDelayMs: 1 },
    readSecret: (name) => (name === 'LOCAL_KEY' || name === 'OPENAI_API_KEY' ? key : undefined),
    createProvider: (spec) => createOpenAiCompatibleProvider(spec),
    modelsRefreshMs: 60_000,
    logger,
    watch: { debounceMs: 30, pollMs: 60_000 },
    ...overrides,
  });
  if (!routing) throw new Error('no routing');
  opened.push(routing);
  await routing.start();
  return { routing, file, lines: lines as () => Record<string, unknown>[] };
}

describe('the routing file at start', () => {
  it('refuses to start on an invalid file, naming the variable, the line and the reason', async () => {
    const text = fileText(one('chat')).replace('kind: openai', 'kind: gemini');
    const error = await start(text).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /^KEEL_GATEWAY_CONFIG: .*routing-\w+\.yaml: line 4, column 11: providers\.local\.kind: /,
    );
  });

  it('refuses to start on a file it cannot read', async () => {
    const error = await start(undefined).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^KEEL_GATEWAY_CONFIG: cannot read .* \(ENOENT\)$/);
  });
});

describe('reloading the routing file', () => {
  it('applies a valid change without a restart, ignores a no-op write, and keeps serving through an invalid one', async () => {
    const { routing, file, lines } = await start(fileText(one('first')));
    const changes: RoutingSnapshot[] = [];
    routing.onChange((snapshot) => changes.push(snapshot));
    expect(routing.find('first')?.descriptor).toMatchObject({ id: 'first', ownedBy: 'keel' });
    const firstVersion = routing.current().version;
    expect(firstVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(routing.current().pricing).toBeUndefined();

    await writeFile(
      file,
      fileText(
        one('first') + one('second'),
        'pricing:\n  models:\n    listed-a: { inputPerMillion: 1, outputPerMillion: 2 }\n',
      ),
    );
    await waitFor('the reload', () => routing.find('second'), { timeoutMs: 3000 });
    expect(routing.current().version).not.toBe(firstVersion);
    expect(routing.current().pricing).toEqual({
      currency: 'USD',
      models: { 'listed-a': { inputPerMillion: 1, outputPerMillion: 2 } },
    });
    expect(changes).toHaveLength(1);

    // The same bytes again: nothing to apply.
    await writeFile(
      file,
      fileText(
        one('first') + one('second'),
        'pricing:\n  models:\n    listed-a: { inputPerMillion: 1, outputPerMillion: 2 }\n',
      ),
    );
    await routing.reload();
    expect(changes).toHaveLength(1);

    const serving = routing.current().version;
    await writeFile(
      file,
      fileText(`${one('first')}  broken:\n    deployments:\n      - { provider: nowhere, model: x }\n`),
    );
    const rejected = await waitFor(
      'the rejection in the log',
      () => lines().find((line) => String(line.msg).includes('was not applied')),
      { timeoutMs: 3000 },
    );
    expect(rejected).toMatchObject({
      line: 13,
      column: 21,
      path: 'models.broken.deployments.0.provider',
      serving_version: serving,
    });
    expect(String(rejected.msg)).toContain(
      'line 13, column 21: models.broken.deployments.0.provider: unknown provider nowhere',
    );
    expect(routing.current().version).toBe(serving);
    expect(routing.find('second')).toBeDefined();
    expect(routing.find('broken')).toBeUndefined();
    expect(await routing.checks()['routing-file']?.()).toMatchObject({
      ok: true,
      detail: expect.stringContaining('rejected since'),
    });
    expect(changes).toHaveLength(1);

    await writeFile(file, fileText(one('third')));
    await waitFor('the next valid version', () => routing.find('third'), { timeoutMs: 3000 });
    expect(routing.find('second')).toBeUndefined();
    expect((await routing.checks()['routing-file']?.())?.detail).not.toContain('rejected');
    expect(JSON.stringify(lines())).not.toContain(key);
  });

  it('notices a change through the slow poll when no watch event arrives', async () => {
    const { routing, file } = await start(fileText(one('first')), {
      watch: { debounceMs: 600_000, pollMs: 100 },
    });
    await writeFile(file, fileText(one('polled')));
    await waitFor('the polled reload', () => routing.find('polled'), { timeoutMs: 3000 });
  });
});

describe('readiness', () => {
  it("a file's provider with an unread model list stays ready (its deployments need no list)", async () => {
    const text = `providers:\n  down: { kind: openai, baseUrl: "http://127.0.0.1:9/v1" }\nmodels:\n  m:\n    deployments: [{ provider: down, model: x }]\n`;
    const { routing } = await start(text);
    expect(await routing.checks()['provider:down']?.()).toMatchObject({
      ok: true,
      detail: expect.stringContaining('model list not read yet'),
    });
    expect(routing.find('m')).toBeDefined();
  });
});

describe('the conventional variables', () => {
  const openai = () => ({ name: 'openai', kind: 'openai' as const, baseUrl: `${upstream.url}/v1`, apiKey: key });

  it('alone route every listed model by its name, with no breaker', async () => {
    const { logger } = createTestLogger('routing');
    const routing = await createGatewayRouting({
      file: undefined,
      environmentProviders: [openai()],
      defaults: { maxAttempts: 1, attemptTimeoutMs: 1000, totalTimeoutMs: 2000, baseDelayMs: 1, maxDelayMs: 1 },
      readSecret: () => undefined,
      createProvider: (spec) => createOpenAiCompatibleProvider(spec),
      modelsRefreshMs: 60_000,
      logger,
    });
    if (!routing) throw new Error('no routing');
    opened.push(routing);
    await routing.start();
    expect(routing.list().map((model) => model.descriptor)).toEqual([
      { id: 'listed-a', provider: 'openai', ownedBy: 'openai' },
      { id: 'listed-b', provider: 'openai', ownedBy: 'openai' },
    ]);
    expect(
      await routing.find('listed-b')?.generate?.({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    ).toMatchObject({
      content: 'Hello from listed-b.',
      servedBy: { provider: 'openai', model: 'listed-b' },
    });
    expect(routing.current()).toMatchObject({ version: 'env', source: undefined, pricing: undefined });
    expect(routing.findEmbedding('listed-a')?.id).toBe('listed-a');
  });

  it("with a file: the file routes onto the variables' provider, and both name spaces are listed", async () => {
    const text =
      'models:\n  house:\n    aliases: [house-latest]\n    deployments: [{ provider: openai, model: listed-a }]\n';
    const { routing } = await start(text, { environmentProviders: [openai()] });
    expect(routing.list().map((model) => model.descriptor.id)).toEqual([
      'house',
      'house-latest',
      'listed-a',
      'listed-b',
    ]);
    expect(
      await routing.find('house-latest')?.generate?.({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
    ).toMatchObject({
      servedBy: { provider: 'openai', model: 'listed-a' },
    });
    expect(routing.find('nothing')).toBeUndefined();
  });
});

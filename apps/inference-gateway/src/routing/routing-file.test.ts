import { describe, expect, it } from 'vitest';
import { type ReadRoutingOptions, RoutingFileError, readRoutingFile } from './routing-file.js';

const options: ReadRoutingOptions = {
  source: 'routing.yaml',
  environmentProviders: [{ name: 'openai', kind: 'openai' }],
  isSecretSet: (name) => name === 'VLLM_KEY' || name === 'ANTHROPIC_KEY',
};

const valid = `# a platform team's file
providers:
  vllm:
    kind: openai
    baseUrl: http://vllm:8000/v1
    apiKeyEnv: VLLM_KEY
  claude:
    kind: anthropic
    baseUrl: https://api.anthropic.com
    apiKeyEnv: ANTHROPIC_KEY
models:
  chat:
    aliases: [default-chat]
    deployments:
      - { provider: vllm, model: llama-3.1-8b, weight: 3 }
      - { provider: openai, model: gpt-4o-mini }
  embed:
    type: embedding
    deployments:
      - { provider: openai, model: text-embedding-3-small }
fallbacks:
  chat: [claude-sonnet]
retries: { attempts: 2, backoffBaseMs: 100ms, backoffMaxMs: 2s }
timeouts: { perAttemptMs: 10s, totalMs: 30s }
circuitBreaker: { failureThreshold: 4, openMs: 15s }
pricing:
  currency: EUR
  models:
    gpt-4o-mini: { inputPerMillion: 0.15, outputPerMillion: 0.6 }
`;

function rejection(text: string, overrides: Partial<ReadRoutingOptions> = {}): RoutingFileError {
  try {
    readRoutingFile(text, { ...options, ...overrides });
  } catch (error) {
    if (error instanceof RoutingFileError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('reading a routing file', () => {
  it('accepts a complete file, with durations in units and defaults filled in', () => {
    const file = readRoutingFile(valid, options);
    expect(file.models.chat?.deployments).toEqual([
      { provider: 'vllm', model: 'llama-3.1-8b', weight: 3 },
      { provider: 'openai', model: 'gpt-4o-mini', weight: 1 },
    ]);
    expect(file.retries).toEqual({ attempts: 2, backoffBaseMs: 100, backoffMaxMs: 2000, honourRetryAfter: true });
    expect(file.timeouts).toEqual({ perAttemptMs: 10_000, totalMs: 30_000 });
    expect(file.circuitBreaker).toMatchObject({ failureThreshold: 4, openMs: 15_000, halfOpenProbes: 1 });
    expect(file.pricing?.currency).toBe('EUR');
    expect(file.providers.vllm?.discoverModels).toBe(true);
  });

  it('names the line and column of a YAML syntax error', () => {
    const error = rejection('models:\n  chat:\n    deployments: [\n');
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/^routing\.yaml: line \d+, column \d+: /);
  });

  it('maps a schema error to the line of the value', () => {
    const text = valid.replace('kind: anthropic', 'kind: antropic');
    const error = rejection(text);
    expect(error.issues[0]).toMatchObject({ line: 8, column: 11, path: 'providers.claude.kind' });
    expect(error.message).toContain('line 8, column 11: providers.claude.kind: ');
  });

  it('points at a misspelt key, and refuses a key written in the file', () => {
    const misspelt = rejection(
      valid.replace('    deployments:\n      - { provider: vllm', '    deploymnets:\n      - { provider: vllm'),
    );
    expect(misspelt.issues.map((issue) => issue.line)).toContain(14);
    const withKey = rejection(valid.replace('    apiKeyEnv: VLLM_KEY', '    apiKey: sk-live-should-not-be-here'));
    expect(withKey.issues[0]).toMatchObject({ line: 6, path: 'providers.vllm' });
    expect(withKey.message).toContain('apiKeyEnv');
    expect(withKey.message).not.toContain('sk-live-should-not-be-here');
  });

  it('checks references: an unknown provider, an unset key variable, a fallback to itself, a name used twice', () => {
    const unknown = rejection(valid.replace('{ provider: vllm,', '{ provider: vllm-east,'));
    expect(unknown.issues[0]).toMatchObject({ line: 15, path: 'models.chat.deployments.0.provider' });
    expect(unknown.issues[0]?.reason).toContain('unknown provider vllm-east');

    const unset = rejection(valid, { isSecretSet: () => false });
    expect(unset.issues[0]).toMatchObject({ line: 6, path: 'providers.vllm.apiKeyEnv' });
    expect(unset.issues[0]?.reason).toBe('names the environment variable VLLM_KEY, which is not set');

    const self = rejection(valid.replace('chat: [claude-sonnet]', 'chat: [claude-sonnet, chat]'));
    expect(self.issues[0]).toMatchObject({ line: 22, column: 25, path: 'fallbacks.chat.1' });

    const twice = rejection(valid.replace('aliases: [default-chat]', 'aliases: [embed]'));
    expect(twice.issues[0]?.reason).toContain('already used by models.embed');

    const anthropicEmbeddings = rejection(
      valid.replace('{ provider: openai, model: text-embedding-3-small }', '{ provider: claude, model: e }'),
    );
    expect(anthropicEmbeddings.issues[0]?.reason).toContain('serves no embeddings');
  });

  it('points at the closest existing parent of a missing key, and reports every issue', () => {
    const error = rejection('models:\n  chat:\n    type: chat\nretries:\n  attempts: 0\n');
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 3, path: 'models.chat.deployments' }),
        expect.objectContaining({ line: 5, column: 13, path: 'retries.attempts' }),
      ]),
    );
    expect(error.message).toContain('(and 1 more)');
  });

  it('refuses bad durations, credentials in a URL, and a total timeout below the attempt timeout', () => {
    expect(rejection('timeouts: { perAttemptMs: soon }\n').issues[0]?.reason).toContain('expected a duration');
    expect(
      rejection('providers:\n  p:\n    kind: openai\n    baseUrl: http://user:pass@host/v1\n').issues[0],
    ).toMatchObject({ line: 4, path: 'providers.p.baseUrl' });
    expect(rejection('timeouts: { perAttemptMs: 10s, totalMs: 5s }\n').issues[0]?.path).toBe('timeouts.totalMs');
  });

  it('accepts an empty file (the variables alone)', () => {
    expect(readRoutingFile('', options)).toMatchObject({ providers: {}, models: {}, fallbacks: {} });
  });
});

describe('the example routing file of deploy/', () => {
  it('is valid, and names every key by variable', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../../../deploy/gateway-routing.example.yaml', import.meta.url), 'utf8');
    const file = readRoutingFile(text, { source: 'example', environmentProviders: [], isSecretSet: () => true });
    expect(Object.keys(file.providers)).toEqual(['openai', 'vllm-east', 'vllm-west', 'anthropic']);
    expect(file.models.chat?.aliases).toEqual(['chat-latest']);
    expect(file.fallbacks.chat).toEqual(['chat-large', 'claude']);
    expect(file.circuitBreaker).toMatchObject({ failureRate: 0.5, windowMs: 60_000, openMs: 30_000 });
    expect(file.pricing?.models['gpt-4o']).toMatchObject({ inputPerMillion: 2.5 });
    expect(text).not.toMatch(/sk-|apiKey:/);
  });
});

import { createOpenAiCompatibleProvider } from '@keel/models/providers';
import { type FakeUpstream, json, serverError, startFakeUpstream } from '@keel/models/testing';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry } from './provider-registry.js';

const retry = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 1000, totalTimeoutMs: 1000 };
const apiKey = 'sk-registry-secret';
let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey, models: ['m-1'] });
});
afterAll(() => fake.close());

describe('the provider registry', () => {
  it('reads the list at start, refreshes it, and keeps the last list when a refresh fails', async () => {
    const { logger, lines } = createTestLogger('registry');
    const registry = createProviderRegistry({
      providers: [createOpenAiCompatibleProvider({ baseUrl: `${fake.url}/v1`, apiKey })],
      retry,
      refreshMs: 50,
      logger,
    });
    try {
      await registry.start();
      expect(registry.list().map((model) => model.descriptor.id)).toEqual(['m-1']);
      const check = registry.checks()['provider:openai'];
      expect(await check?.()).toMatchObject({ ok: true });

      fake.models = ['m-1', 'm-2'];
      await waitFor('the refreshed list', () => registry.find('m-2'), { timeoutMs: 2000 });
      expect(registry.find('m-2')?.descriptor).toEqual({ id: 'm-2', provider: 'openai', ownedBy: 'openai' });

      fake.enqueueModels(...Array.from({ length: 100 }, () => serverError(503)));
      await waitFor(
        'a failed refresh in readiness',
        async () => ((await check?.())?.detail.includes('last refresh failed') ? true : undefined),
        { timeoutMs: 2000 },
      );
      const failed = await check?.();
      // Still ready, still routing the last list.
      expect(failed?.ok).toBe(true);
      expect(failed?.detail).toContain('HTTP 503');
      expect(registry.find('m-2')).toBeDefined();
      expect(JSON.stringify(lines())).not.toContain(apiKey);
    } finally {
      registry.stop();
      fake.clearQueues();
      fake.models = ['m-1'];
    }
  });

  it('is not ready while the list was never read, and becomes ready once it is', async () => {
    const { logger } = createTestLogger('registry');
    fake.enqueueModels(json(500, { error: { message: 'starting up' } }));
    const registry = createProviderRegistry({
      providers: [createOpenAiCompatibleProvider({ baseUrl: `${fake.url}/v1`, apiKey })],
      retry,
      refreshMs: 60_000,
      retryUnreadMs: 50,
      logger,
    });
    try {
      await registry.start();
      const check = registry.checks()['provider:openai'];
      expect(await check?.()).toMatchObject({ ok: false, detail: expect.stringContaining('not read yet') });
      expect(registry.find('m-1')).toBeUndefined();
      await waitFor('the first successful read', async () => ((await check?.())?.ok ? true : undefined), {
        timeoutMs: 2000,
      });
      expect(registry.find('m-1')).toBeDefined();
    } finally {
      registry.stop();
    }
  });
});

import { createOpenAiCompatibleProvider } from '@keel/models/providers';
import { type FakeUpstream, json, serverError, startFakeUpstream } from '@keel/models/testing';
import { createTestLogger } from '@keel/platform/testing';
import { waitFor } from '@keel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviderRegistry } from './provider-registry.js';

const listed = (name = 'openai', fingerprint = 'a') => ({
  name,
  fingerprint,
  adapter: createOpenAiCompatibleProvider({ name, baseUrl: `${fake.url}/v1`, apiKey }),
});
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
      providers: [listed()],
      listTimeoutMs: 1000,
      refreshMs: 50,
      logger,
    });
    try {
      await registry.start();
      expect([...registry.modelsOf('openai')]).toEqual(['m-1']);
      const check = registry.checks()['provider:openai'];
      expect(await check?.()).toMatchObject({ ok: true });

      fake.models = ['m-1', 'm-2'];
      await waitFor('the refreshed list', () => (registry.modelsOf('openai').has('m-2') ? true : undefined), {
        timeoutMs: 2000,
      });

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
      expect(registry.modelsOf('openai').has('m-2')).toBe(true);
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
      providers: [listed()],
      listTimeoutMs: 1000,
      refreshMs: 60_000,
      retryUnreadMs: 50,
      logger,
    });
    try {
      await registry.start();
      const check = registry.checks()['provider:openai'];
      expect(await check?.()).toMatchObject({ ok: false, detail: expect.stringContaining('not read yet') });
      expect(registry.modelsOf('openai').has('m-1')).toBe(false);
      await waitFor('the first successful read', async () => ((await check?.())?.ok ? true : undefined), {
        timeoutMs: 2000,
      });
      expect(registry.modelsOf('openai').has('m-1')).toBe(true);
    } finally {
      registry.stop();
    }
  });

  it('keeps the list of an unchanged provider on sync, reads a new or changed one at once, and drops a removed one', async () => {
    const { logger } = createTestLogger('registry');
    const registry = createProviderRegistry({
      providers: [listed('a')],
      refreshMs: 60_000,
      listTimeoutMs: 1000,
      logger,
    });
    try {
      await registry.start();
      const reads = () => fake.requests.filter((request) => request.path === '/v1/models').length;
      const before = reads();
      await registry.sync([listed('a'), listed('b')]);
      expect(reads() - before).toBe(1);
      expect(registry.modelsOf('b').has('m-1')).toBe(true);
      await registry.sync([listed('a', 'rotated-key'), listed('b')]);
      expect(reads() - before).toBe(2);
      await registry.sync([listed('b')]);
      expect(registry.providers()).toEqual(['b']);
      expect(registry.modelsOf('a').size).toBe(0);
      expect(await registry.checks()['provider:b']?.()).toMatchObject({ ok: true });
    } finally {
      registry.stop();
    }
  });
});

/** Human-review's configuration: no key means no start; a name makes a key a reviewer. */
import { ConfigError, createStaticApiKeyResolver } from '@keel/platform';
import { describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from './config.js';

describe('loadHumanReviewConfig', () => {
  it('refuses to start without any API key instead of accepting a public demo key', () => {
    let error: unknown;
    try {
      loadHumanReviewConfig({});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toContain('KEEL_API_KEYS');
  });

  it('binds to loopback unless a host is configured', () => {
    expect(loadHumanReviewConfig({ KEEL_API_KEYS: 'k=acme::Alice' }).http.host).toBe('127.0.0.1');
  });

  it("gives each key's principal the configured name, and the demo key the name demo", async () => {
    const config = loadHumanReviewConfig({
      KEEL_API_KEYS: 'alice-key=acme:legal:Alice Smith,robot-key=acme',
      KEEL_DEMO_API_KEY: 'a-demo-key-for-tests',
    });
    const keys = createStaticApiKeyResolver(config.apiKeys);
    expect(await keys.resolve('alice-key')).toMatchObject({ name: 'Alice Smith', aclGroups: ['legal'] });
    expect((await keys.resolve('robot-key'))?.name).toBeUndefined();
    expect(await keys.resolve('a-demo-key-for-tests')).toMatchObject({ tenantId: 'demo', name: 'demo' });
  });
});

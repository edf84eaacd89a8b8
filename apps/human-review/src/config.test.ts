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

describe('loadHumanReviewConfig: the console', () => {
  const base = { KEEL_API_KEYS: 'k=acme::Alice' };

  it('defaults to 12-hour sessions, cookies without Secure, and the console build beside this app', () => {
    const config = loadHumanReviewConfig(base).console;
    expect(config).toMatchObject({ sessionMs: 12 * 3_600_000, cookieSecure: false });
    expect(config.consoleDir).toMatch(/apps\/review-console\/dist$/);
    expect(config.demo).toBeUndefined();
    expect(config.adminApiKey).toBeUndefined();
  });

  it('reads the session length, the Secure flag and the console directory', () => {
    const config = loadHumanReviewConfig({
      ...base,
      REVIEW_SESSION_HOURS: '1.5',
      REVIEW_COOKIE_SECURE: 'true',
      REVIEW_CONSOLE_DIR: '/srv/console',
    }).console;
    expect(config).toMatchObject({ sessionMs: 5_400_000, cookieSecure: true, consoleDir: '/srv/console' });
  });

  it('refuses a demo reviewer password under 8 characters, and a short admin key', () => {
    expect(() =>
      loadHumanReviewConfig({ ...base, KEEL_DEMO_API_KEY: 'demo-key-1', KEEL_DEMO_REVIEWER_PASSWORD: 'short' }),
    ).toThrow(/KEEL_DEMO_REVIEWER_PASSWORD: use at least 8 characters/);
    expect(() => loadHumanReviewConfig({ ...base, KEEL_ADMIN_API_KEY: 'short' })).toThrow(/KEEL_ADMIN_API_KEY/);
  });

  it('sets up the demo accounts only with the demo key', () => {
    expect(loadHumanReviewConfig({ ...base, KEEL_DEMO_REVIEWER_PASSWORD: 'password-1' }).console.demo).toBeUndefined();
    expect(
      loadHumanReviewConfig({ KEEL_DEMO_API_KEY: 'demo-key-1', KEEL_DEMO_REVIEWER_PASSWORD: 'password-1' }).console
        .demo,
    ).toEqual({ password: 'password-1' });
    expect(loadHumanReviewConfig({ KEEL_DEMO_API_KEY: 'demo-key-1' }).console.demo).toEqual({});
  });

  it('needs tenant:username and a password for a bootstrap admin, and then starts without API keys', () => {
    expect(() => loadHumanReviewConfig({ KEEL_REVIEW_BOOTSTRAP_ADMIN: 'acme:root' })).toThrow(
      /KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD: required/,
    );
    expect(() =>
      loadHumanReviewConfig({
        KEEL_REVIEW_BOOTSTRAP_ADMIN: 'root',
        KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD: 'password-1',
      }),
    ).toThrow(/expected tenant:username/);
    const config = loadHumanReviewConfig({
      KEEL_REVIEW_BOOTSTRAP_ADMIN: 'acme:Root',
      KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD: 'password-1',
    });
    expect(config.console.bootstrapAdmin).toEqual({ tenantId: 'acme', username: 'root', password: 'password-1' });
    expect(config.apiKeys).toEqual([]);
  });
});

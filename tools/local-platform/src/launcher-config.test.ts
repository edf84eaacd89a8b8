/** npm start's configuration: the demo reviewer password is the one given, or one made for this run. */
import { describe, expect, it } from 'vitest';
import { loadLauncherConfig } from './launcher-config.js';

describe('loadLauncherConfig', () => {
  it('passes KEEL_DEMO_REVIEWER_PASSWORD on to the services when set', () => {
    const config = loadLauncherConfig({ KEEL_DEMO_REVIEWER_PASSWORD: 'my-demo-password' });
    expect(config.demoReviewerPassword).toBe('my-demo-password');
    expect(config.serviceEnv.KEEL_DEMO_REVIEWER_PASSWORD).toBe('my-demo-password');
  });

  it('generates a fresh password for each run when unset, and gives the services the same one it prints', () => {
    const first = loadLauncherConfig({});
    const second = loadLauncherConfig({});
    expect(first.demoReviewerPassword).toMatch(/^[\w-]{16}$/);
    expect(second.demoReviewerPassword).not.toBe(first.demoReviewerPassword);
    expect(first.serviceEnv.KEEL_DEMO_REVIEWER_PASSWORD).toBe(first.demoReviewerPassword);
  });

  it('refuses a demo reviewer password under 8 characters', () => {
    expect(() => loadLauncherConfig({ KEEL_DEMO_REVIEWER_PASSWORD: 'short' })).toThrow(/KEEL_DEMO_REVIEWER_PASSWORD/);
  });
});

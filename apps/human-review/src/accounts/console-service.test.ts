/**
 * The whole service as `npm start` runs it: demo accounts made at start (their password reset to
 * the current one on every start), a bootstrap admin made once, and a signed-in reviewer reading
 * the queue through the same /v1 guard as API keys.
 */
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import type { EventBus } from '@keel/event-bus';
import { createEmbeddedEventBus } from '@keel/event-bus/embedded';
import { createTestLogger } from '@keel/platform/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { loadHumanReviewConfig } from '../config.js';
import { ConsoleClient } from '../inbound/console-test-app.js';
import { startHumanReviewService } from '../service.js';

const opened: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.stop();
});

async function start(store: DocumentStore, bus: EventBus, env: Record<string, string>) {
  const log = createTestLogger('human-review');
  const config = loadHumanReviewConfig({ HTTP_PORT: '0', REVIEW_CONSOLE_DIR: '/nonexistent-console', ...env });
  const service = await startHumanReviewService({ bus, store, logger: log.logger }, config);
  opened.push(service);
  return { url: service.urls.http ?? '', log };
}

function infrastructure() {
  const bus = createEmbeddedEventBus();
  const store = createEmbeddedDocumentStore({ path: ':memory:' });
  opened.push({ stop: () => store.close() }, { stop: () => bus.close() });
  return { bus, store };
}

describe('human-review with the console', () => {
  it('signs the demo reviewer, lead and admin in with KEEL_DEMO_REVIEWER_PASSWORD and serves the API to them', async () => {
    const { bus, store } = infrastructure();
    const { url } = await start(store, bus, {
      KEEL_DEMO_API_KEY: 'demo-key-for-tests',
      KEEL_DEMO_REVIEWER_PASSWORD: 'first-password',
    });
    for (const [username, roles] of [
      ['reviewer', ['reviewer']],
      ['lead', ['lead']],
      ['admin', ['admin']],
    ] as const) {
      const client = new ConsoleClient(url);
      const response = await client.signIn(username, 'first-password');
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ account: { tenantId: 'demo', username, roles } });
    }
    const reviewer = new ConsoleClient(url);
    await reviewer.signIn('reviewer', 'first-password');
    const queue = await reviewer.request('GET', '/v1/reviews');
    expect(queue.status).toBe(200);
    expect(await queue.json()).toMatchObject({ items: [] });
    // The API key still works beside the session.
    const byKey = await fetch(`${url}/v1/reviews`, { headers: { authorization: 'Bearer demo-key-for-tests' } });
    expect(byKey.status).toBe(200);
    // No build configured: the console says how to build it; the API is unaffected.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(503);
    expect(((await page.json()) as { code: string }).code).toBe('CONSOLE.NOT_BUILT');
  });

  it('resets the demo password on the next start, and prints a generated one when none is set', async () => {
    const { bus, store } = infrastructure();
    const first = await start(store, bus, {
      KEEL_DEMO_API_KEY: 'demo-key-for-tests',
      KEEL_DEMO_REVIEWER_PASSWORD: 'first-password',
    });
    await opened.pop()?.stop();
    const second = await start(store, bus, { KEEL_DEMO_API_KEY: 'demo-key-for-tests' });
    const printed = second.log.find('generated password')[0];
    expect(printed?.level).toBe('warn');
    const generated = /generated password (\S+)/.exec(String(printed?.msg))?.[1] ?? '';
    expect(generated.length).toBeGreaterThanOrEqual(12);
    expect((await new ConsoleClient(second.url).signIn('reviewer', 'first-password')).status).toBe(401);
    expect((await new ConsoleClient(second.url).signIn('reviewer', generated)).status).toBe(200);
    expect(first.url).not.toBe('');
  });

  it('creates the bootstrap admin once and never resets its password', async () => {
    const { bus, store } = infrastructure();
    const env = {
      KEEL_REVIEW_BOOTSTRAP_ADMIN: 'acme:root',
      KEEL_REVIEW_BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap-password',
    };
    const first = await start(store, bus, env);
    const root = new ConsoleClient(first.url);
    await root.signIn('root', 'bootstrap-password');
    const session = (await (await root.request('GET', '/v1/session')).json()) as { account: { id: string } };
    expect(
      (await root.request('PATCH', `/v1/accounts/${session.account.id}`, { password: 'changed-password' })).status,
    ).toBe(200);
    await opened.pop()?.stop();
    const second = await start(store, bus, env);
    expect((await new ConsoleClient(second.url).signIn('root', 'bootstrap-password')).status).toBe(401);
    expect((await new ConsoleClient(second.url).signIn('root', 'changed-password')).status).toBe(200);
  });
});

/**
 * The reviewer console in a real browser (Debian's chromium through playwright-core) against the
 * real platform in this process: sign-in, claim next, correct and submit, checked on the bus
 * (`keel.review.decided.v1`) and in evaluation (the golden example that follows); a wrong
 * password; the keyboard-only path; a lead's bulk release; an admin's new account signing in.
 *
 * `KEEL_UPDATE_SCREENSHOTS=1` also writes docs/images/console-*.png (shown in docs/console.md).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import { describeWithInfra, waitFor } from '@keel/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type ConsolePlatform,
  chromiumAvailability,
  demoApiKey,
  demoPassword,
  launchChromium,
  settle,
  startConsolePlatform,
} from './harness.js';

const screenshotsDir = fileURLToPath(new URL('../../../docs/images', import.meta.url));
const updateScreenshots = ['1', 'true'].includes(process.env.KEEL_UPDATE_SCREENSHOTS ?? '');

interface ReviewJson {
  id: string;
  requestId: string;
  status: string;
  claimedBy: string | null;
}

describeWithInfra('the reviewer console in a real browser (chromium)', chromiumAvailability(), (executablePath) => {
  let env: ConsolePlatform | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  const platform = () => {
    if (!env) throw new Error('the platform did not start');
    return env;
  };

  beforeAll(async () => {
    // Both at once; whichever started is kept so that afterAll stops it even when the other failed.
    const [started, launched] = await Promise.allSettled([
      startConsolePlatform({ demoCorpus: true }),
      launchChromium(executablePath),
    ]);
    if (started.status === 'fulfilled') env = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
  }, 120_000);

  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await Promise.allSettled([browser?.close(), env?.stop()]);
  });

  async function newPage(): Promise<Page> {
    if (!browser) throw new Error('chromium did not start');
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, reducedMotion: 'reduce' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    if (!updateScreenshots) return;
    mkdirSync(screenshotsDir, { recursive: true });
    await page.screenshot({ path: join(screenshotsDir, `console-${name}.png`), fullPage: false });
  }

  async function signIn(page: Page, username: string, password = demoPassword): Promise<void> {
    await page.goto(`${platform().consoleUrl}/sign-in`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in once the console leaves the sign-in page (for the page asked for before, maybe).
    const refused = page.getByRole('alert').filter({ hasText: /\S/ });
    const outcomes = [
      page.waitForURL((url) => url.pathname !== '/sign-in').then(() => 'signed in'),
      refused.waitFor().then(() => 'refused'),
    ];
    // The loser times out later: its rejection is expected and dropped.
    for (const outcome of outcomes) outcome.catch(() => undefined);
    await Promise.race(outcomes);
    if (await refused.count()) throw new Error(`${username} could not sign in: ${await refused.first().textContent()}`);
    if (new URL(page.url()).pathname !== '/') await page.goto(platform().consoleUrl);
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
  }

  async function reviews(query = ''): Promise<ReviewJson[]> {
    const response = await platform().api(`/v1/reviews?limit=100${query}`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: ReviewJson[] }).items;
  }

  it('signs in, claims the next item, corrects it: the decision goes out and becomes a golden example', async () => {
    const { gatewayUrl, evaluationUrl, decided } = platform();
    // A real answer that policy escalates (a legal threat), as in npm start.
    const answer = await fetch(`${gatewayUrl}/v1/answers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demoApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'I will start a lawsuit unless you tell me how refunds work' }),
    });
    expect(answer.status).toBe(200);
    const { id: requestId } = (await answer.json()) as { id: string };
    await waitFor('the escalated answer in the review queue', async () =>
      (await reviews()).find((item) => item.requestId === requestId),
    );

    const page = await newPage();
    await page.goto(platform().consoleUrl);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Username').fill('reviewer');
    await page.getByLabel('Password').fill(demoPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();
    await screenshot(page, 'home');

    await page.getByRole('button', { name: 'Claim next' }).click();
    await page.waitForURL(/\/items\//);
    const reviewId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const claimed = (await reviews('&status=claimed')).find((item) => item.id === reviewId);
    expect(claimed?.claimedBy).toBe('reviewer');
    await page.getByRole('button', { name: 'Approve', disabled: false }).waitFor();

    const correction = 'Refunds go to the original payment method within 5 business days.';
    await page.getByRole('button', { name: 'Correct' }).click();
    const editor = page.getByRole('textbox', { name: 'Corrected answer' });
    await editor.fill(correction);
    await screenshot(page, 'correction');
    await page.getByRole('button', { name: 'Submit correction' }).click();

    const event = await waitFor('keel.review.decided.v1 for the item', () =>
      decided.find((candidate) => candidate.reviewId === reviewId),
    );
    expect(event).toMatchObject({
      outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
      correctedAnswer: correction,
      tenantId: 'demo',
    });
    expect(event.reviewer).toBe('reviewer');

    const example = await waitFor('the golden example in evaluation', async () => {
      const response = await fetch(`${evaluationUrl}/v1/datasets/reviewed-answers/examples`, {
        headers: { authorization: `Bearer ${demoApiKey}` },
      });
      const body = (await response.json()) as { items: { id: string; label: string; answer: string }[] };
      return body.items.find((candidate) => candidate.id === reviewId);
    });
    expect(example).toMatchObject({ label: 'corrected', answer: correction });
  });

  it('answers a wrong password and an unknown user with the same message, and stays on sign-in', async () => {
    const page = await newPage();
    const messages: string[] = [];
    for (const [username, password] of [
      ['reviewer', 'not-the-password'],
      ['nobody-here', 'not-the-password'],
    ] as const) {
      await page.goto(`${platform().consoleUrl}/sign-in`);
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert').filter({ hasText: /\S/ });
      await alert.waitFor();
      messages.push((await alert.textContent()) ?? '');
      expect(new URL(page.url()).pathname).toBe('/sign-in');
      await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    }
    expect(messages[0]).toMatch(/username or password/i);
    expect(messages[1]).toBe(messages[0]);
  });

  it('works an item with the keyboard only: sign-in, claim next (n), approve (a), the next item opens', async () => {
    const { decided, queueReview } = platform();
    for (let count = 0; count < 3; count++) await queueReview();
    const page = await newPage();
    await page.goto(`${platform().consoleUrl}/sign-in`);
    await page.getByLabel('Username').focus();
    await page.keyboard.type('reviewer');
    await page.keyboard.press('Tab');
    await page.keyboard.type(demoPassword);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Queues', level: 1 }).waitFor();

    await settle(page);
    await page.keyboard.press('?');
    const help = page.getByRole('dialog');
    await help.waitFor();
    expect(await help.textContent()).toMatch(/Claim next/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'hidden' });

    const approvedBefore = decided.filter((event) => event.outcome === ReviewOutcome.REVIEW_OUTCOME_APPROVED).length;
    await settle(page);
    await page.keyboard.press('n');
    await page.waitForURL(/\/items\//);
    const first = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Approve', disabled: false }).waitFor();
    // The first citation selected (j): its source passage highlighted beside the answer.
    await settle(page);
    await page.keyboard.press('j');
    await screenshot(page, 'item');
    await page.keyboard.press('a');
    // Approving claims the next item and opens it.
    await page.waitForURL((url) => url.pathname !== first && url.pathname.startsWith('/items/'));
    await page.getByRole('button', { name: 'Approve', disabled: false }).waitFor();
    const second = new URL(page.url()).pathname;
    await settle(page);
    await page.keyboard.press('a');
    await waitFor(
      'two approvals on the bus',
      () =>
        decided.filter((event) => event.outcome === ReviewOutcome.REVIEW_OUTCOME_APPROVED).length >= approvedBefore + 2,
    );
    const ids = [first, second].map((path) => decodeURIComponent(path.split('/').pop() ?? ''));
    for (const id of ids) {
      expect(decided.find((event) => event.reviewId === id)?.outcome).toBe(ReviewOutcome.REVIEW_OUTCOME_APPROVED);
    }

    // Signing out releases whatever the reviewer still holds.
    await page.waitForURL((url) => url.pathname !== second);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await waitFor('no claims left by reviewer', async () =>
      (await reviews('&status=claimed')).every((item) => item.claimedBy !== 'reviewer'),
    );
  });

  it("a lead's bulk release: counts the filter, confirms, and every matching claim is released", async () => {
    const { queueReview, api } = platform();
    const ids = [await queueReview(), await queueReview(), await queueReview()];
    for (const id of ids) {
      const claim = await api(`/v1/reviews/${encodeURIComponent(id)}/claim`, { method: 'POST', body: {} });
      expect(claim.status).toBe(200);
    }
    const claimedNow = (await reviews('&status=claimed')).length;
    expect(claimedNow).toBeGreaterThanOrEqual(3);

    const page = await newPage();
    await signIn(page, 'lead');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lead' }).click();
    await page.getByRole('heading', { name: 'Items' }).waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('claimed');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page
      .getByRole('table', { name: 'Matching items' })
      .getByRole('cell', { name: 'claimed', exact: true })
      .first()
      .waitFor();
    await page.getByLabel('Action', { exact: true }).selectOption('release');
    await page.getByRole('button', { name: 'Count matching items' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${claimedNow} items matching`);
    await screenshot(page, 'lead');
    await dialog.getByRole('button', { name: 'Confirm bulk action' }).click();
    await page.getByText(`Released ${claimedNow} of ${claimedNow} items.`).waitFor();

    const after = await reviews('&status=claimed');
    expect(after.filter((item) => ids.includes(item.id))).toEqual([]);
    const pending = await reviews('&status=pending');
    expect(ids.every((id) => pending.some((item) => item.id === id))).toBe(true);
  });

  it('an admin creates an account, which then signs in', async () => {
    const page = await newPage();
    await signIn(page, 'admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    const form = page.getByRole('form', { name: 'New account' });
    await form.getByLabel('Username').fill('e2e-carol');
    await form.getByLabel('Display name').fill('Carol from the e2e');
    await form.getByLabel('Password').fill('carol-password-123');
    await form.getByRole('checkbox', { name: 'Reviewer' }).check();
    await form.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('table', { name: 'Accounts' }).getByRole('rowheader', { name: 'e2e-carol' }).waitFor();
    await screenshot(page, 'admin');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, 'e2e-carol', 'carol-password-123');
    await page.getByText('Carol from the e2e').waitFor();
    await expect(
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).count(),
    ).resolves.toBe(0);
  });
});

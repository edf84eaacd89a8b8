/**
 * The reviewer console in Debian's chromium (playwright-core) against the real platform in this
 * process (the browser tests' harness: all six services embedded, human-review serving the built
 * console, the demo corpus loaded and review requests queued on the bus as evaluation queues them):
 *
 * - time to interactive: the sign-in page ready (a new browser context each time: nothing cached),
 *   and the home screen after "Sign in" (the password hash included) and after a reload with a
 *   live session;
 * - an item opening: "Claim next" (the `n` key) on the home screen until the item is interactive
 *   (its Approve button enabled), and a full page load of an item's URL;
 * - time per decision with the keyboard: `a` on an item until the next one is interactive
 *   (the console sends the decision, claims the next item and renders it).
 *
 * Baseline in the same run: the same work through the HTTP API alone (claim next; approve then
 * claim next), i.e. what the service costs without a browser.
 */
import type { Page } from 'playwright-core';
import {
  chromiumAvailability,
  demoPassword,
  launchChromium,
  settle,
  startConsolePlatform,
} from '../apps/review-console/e2e/harness.js';
import {
  type Benchmark,
  type BenchmarkReport,
  integerSetting,
  latencyRow,
  type Row,
  skippedRow,
  summarize,
} from './harness.js';

/** Rounds run before measuring (JIT, connections, the browser's caches). */
const WARMUP = 2;

const settings = {
  items: integerSetting('BENCH_CONSOLE_ITEMS', 30),
  loads: integerSetting('BENCH_CONSOLE_LOADS', 10),
};

/** What the readiness checks below read in the page (this file is compiled without the DOM library). */
interface PageGlobals {
  location: { pathname: string };
  document: {
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null; disabled?: boolean; id?: string }>;
  };
}

// Functions, not strings: the console's CSP forbids eval. Each runs in the page on every animation
// frame, so they stay self-contained (no helpers, no closures).

/** The item page is interactive when its Approve button is enabled (the lease is held). */
function itemReady(previousPath: string): boolean {
  const { location, document } = globalThis as unknown as PageGlobals;
  if (!location.pathname.startsWith('/items/') || location.pathname === previousPath) return false;
  const approve = Array.from(document.querySelectorAll('button')).find(
    (button) => button.textContent?.trim() === 'Approve',
  );
  return approve !== undefined && !approve.disabled;
}

/** Home is interactive with its queues listed and "Claim next" enabled. */
function homeReady(): boolean {
  const { location, document } = globalThis as unknown as PageGlobals;
  if (location.pathname !== '/') return false;
  const claim = Array.from(document.querySelectorAll('button')).find(
    (button) => button.textContent?.trim() === 'Claim next',
  );
  return claim !== undefined && !claim.disabled && document.querySelectorAll('table.queues').length > 0;
}

/** An item opened by its URL, not held: interactive once "Claim this item" (or Approve) is enabled. */
function itemViewReady(): boolean {
  const { location, document } = globalThis as unknown as PageGlobals;
  if (!location.pathname.startsWith('/items/')) return false;
  const action = Array.from(document.querySelectorAll('button')).find(
    (button) => button.textContent?.trim() === 'Claim this item' || button.textContent?.trim() === 'Approve',
  );
  return action !== undefined && !action.disabled;
}

function signInReady(): boolean {
  const { document } = globalThis as unknown as PageGlobals;
  const button = Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Sign in');
  return button !== undefined && document.querySelectorAll('#username').length > 0;
}

/** Waits for a readiness check; on timeout says where the page was and what it showed. */
async function ready<A>(page: Page, check: (arg: A) => boolean, arg: A, what: string): Promise<void> {
  try {
    await page.waitForFunction(check as (arg: unknown) => boolean, arg as unknown, { polling: 'raf', timeout: 15_000 });
  } catch (error) {
    const text = (
      await page
        .locator('body')
        .textContent()
        .catch(() => '')
    )
      ?.replace(/\s+/g, ' ')
      .slice(0, 600);
    throw new Error(`${what} not ready at ${page.url()}: ${text}`, { cause: error });
  }
}

/**
 * e releases the open item and goes home. A key pressed while the page is busy (a lease renewal
 * just started) does nothing, as for a person: press again until it takes. Not measured.
 */
async function releaseToHome(page: Page): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    await settle(page);
    await page.keyboard.press('e');
    try {
      await page.waitForFunction(homeReady, undefined, { polling: 'raf', timeout: 2_000 });
      return;
    } catch {
      // Still on the item: press again.
    }
  }
  await ready(page, homeReady, undefined, 'home after releasing');
}

async function run(): Promise<BenchmarkReport> {
  const config = { items: settings.items, loads: settings.loads, warmup: WARMUP };
  const availability = chromiumAvailability();
  if (!availability.available) {
    return { config, tables: [{ title: 'console', rows: [skippedRow('console', availability.reason)] }], notes: [] };
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  const env = await startConsolePlatform({ demoCorpus: true });
  const browser = await launchChromium(availability.endpoint).catch(async (error: unknown) => {
    await env.stop();
    throw error;
  });
  try {
    const url = env.consoleUrl;
    // Each round decides one item and holds the next: the browser's rounds, then the API's.
    const total = (settings.items + WARMUP) * 2 + 4;
    for (let index = 0; index < total; index++) await env.queueReview();

    // ---------------------------------------------------------------- time to interactive
    const signInPage: number[] = [];
    const homeAfterSignIn: number[] = [];
    const homeReload: number[] = [];
    for (let index = 0; index < settings.loads; index++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      try {
        const page = await context.newPage();
        let started = performance.now();
        await page.goto(`${url}/sign-in`, { waitUntil: 'commit' });
        await ready(page, signInReady, undefined, 'signInReady');
        signInPage.push(performance.now() - started);
        await page.locator('#username').fill('reviewer');
        await page.locator('#password').fill(demoPassword);
        started = performance.now();
        await page.getByRole('button', { name: 'Sign in' }).click();
        await ready(page, homeReady, undefined, 'homeReady');
        homeAfterSignIn.push(performance.now() - started);
        started = performance.now();
        await page.reload({ waitUntil: 'commit' });
        await ready(page, homeReady, undefined, 'homeReady');
        homeReload.push(performance.now() - started);
      } finally {
        await context.close();
      }
    }
    rows.push(latencyRow('console', 'sign-in page ready (cold: new context)', summarize(signInPage)));
    rows.push(latencyRow('console', 'home ready after "Sign in"', summarize(homeAfterSignIn)));
    rows.push(latencyRow('console', 'home ready after a reload (session)', summarize(homeReload)));

    // ---------------------------------------------------------------- items with the keyboard
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const claimOpen: number[] = [];
    const decisions: number[] = [];
    const directOpen: number[] = [];
    try {
      const page = await context.newPage();
      await page.goto(`${url}/sign-in`);
      await page.locator('#username').fill('reviewer');
      await page.locator('#password').fill(demoPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await ready(page, homeReady, undefined, 'homeReady');
      for (let index = -WARMUP; index < settings.items; index++) {
        const record = (samples: number[], value: number) => index >= 0 && samples.push(value);
        // From the home screen: n → the claimed item interactive.
        await settle(page);
        let started = performance.now();
        await page.keyboard.press('n');
        await ready(page, itemReady, '/', 'itemReady');
        record(claimOpen, performance.now() - started);
        // a → the decision, the next claim, the next item interactive.
        const previous = new URL(page.url()).pathname;
        await settle(page);
        started = performance.now();
        await page.keyboard.press('a');
        await ready(page, itemReady, previous, 'itemReady');
        record(decisions, performance.now() - started);
        // e releases it (back home), then the same item as a full page load of its URL (a bookmark,
        // a link from the lead's list): interactive once it offers to claim it.
        const current = new URL(page.url()).pathname;
        await releaseToHome(page);
        started = performance.now();
        await page.goto(`${url}${current}`, { waitUntil: 'commit' });
        await ready(page, itemViewReady, undefined, 'itemViewReady');
        record(directOpen, performance.now() - started);
        await page.goto(url, { waitUntil: 'commit' });
        await ready(page, homeReady, undefined, 'homeReady');
      }
    } finally {
      await context.close();
    }
    rows.push(latencyRow('console', 'item opens: n on home → item interactive', summarize(claimOpen)));
    rows.push(latencyRow('console', 'item opens: full load of its URL (not held)', summarize(directOpen)));
    rows.push(latencyRow('console', 'decision: a → next item interactive', summarize(decisions)));

    // ---------------------------------------------------------------- baseline: the HTTP API alone
    const apiClaim: number[] = [];
    const apiDecision: number[] = [];
    const idOf = async (response: Response) => {
      if (response.status !== 200) throw new Error(`the API baseline: claim next answered ${response.status}`);
      return ((await response.json()) as { id: string }).id;
    };
    const post = (path: string, body: unknown = {}) => env.api(path, { method: 'POST', body });
    for (let index = -WARMUP; index < settings.items; index++) {
      const record = (samples: number[], value: number) => index >= 0 && samples.push(value);
      let started = performance.now();
      const id = await idOf(await post('/v1/reviews:claim-next'));
      record(apiClaim, performance.now() - started);
      started = performance.now();
      const decided = await post(`/v1/reviews/${encodeURIComponent(id)}/decision`, { outcome: 'approved' });
      if (decided.status !== 200) throw new Error(`the API baseline: the decision answered ${decided.status}`);
      const next = await idOf(await post('/v1/reviews:claim-next'));
      record(apiDecision, performance.now() - started);
      const released = await post(`/v1/reviews/${encodeURIComponent(next)}/release`);
      if (released.status !== 200) throw new Error(`the API baseline: the release answered ${released.status}`);
    }
    rows.unshift(
      latencyRow('baseline: HTTP API', 'claim next', summarize(apiClaim)),
      latencyRow('baseline: HTTP API', 'approve + claim next', summarize(apiDecision)),
    );
    const open = summarize(claimOpen);
    notes.push(
      `an item opens (n → interactive) in ${open.p50Ms.toFixed(0)} ms at p50 and ${open.p95Ms.toFixed(0)} ms at p95: ` +
        `${open.p95Ms < 200 ? 'under' : 'NOT under'} the 200 ms target at p95`,
    );
    const direct = summarize(directOpen);
    notes.push(
      `an item opened by its URL (a full page load) is interactive in ${direct.p50Ms.toFixed(0)} ms at p50 and ` +
        `${direct.p95Ms.toFixed(0)} ms at p95: ${direct.p95Ms < 200 ? 'under' : 'NOT under'} 200 ms at p95`,
    );
    notes.push(
      'readiness is polled once per animation frame (about 16 ms) in the page: figures include up to one frame',
    );
    return { config, tables: [{ title: 'reviewer console (chromium) against the HTTP API', rows }], notes };
  } finally {
    await Promise.allSettled([browser.close()]);
    await env.stop();
  }
}

export const consoleBenchmark: Benchmark = {
  name: 'console',
  description: 'reviewer console in chromium: time to interactive, item open, keyboard decisions (vs the HTTP API)',
  run,
};

/**
 * What the console's browser tests and its benchmark share: Debian's chromium through
 * playwright-core, and the real platform in this process (all six services on embedded adapters,
 * human-review serving the built console) with demo accounts, a watch on the decisions that go out
 * on the bus, and a way to queue review requests as evaluation would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReviewDecided, ReviewRequested } from '@keel/contracts/events/v1/review';
import { ReviewReason } from '@keel/contracts/review/v1';
import { EventPublisher, subscribeToEvents } from '@keel/event-bus';
import { freePorts, type LocalPlatform, startLocalPlatform } from '@keel/local-platform';
import { loadDemoCorpus } from '@keel/local-platform/demo-corpus';
import { createLogger } from '@keel/platform';
import type { Availability } from '@keel/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '../../../tools/scripts/console-build.mjs';

export const chromiumPath = process.env.KEEL_CHROMIUM_PATH || '/usr/bin/chromium';

/** Where chromium is, or why these tests cannot run (describeWithInfra skips, or fails under CI). */
export function chromiumAvailability(): Availability<string> {
  if (existsSync(chromiumPath)) return { available: true, endpoint: chromiumPath };
  return {
    available: false,
    reason: `no chromium at ${chromiumPath} (apt-get install -y --no-install-recommends chromium, or set KEEL_CHROMIUM_PATH)`,
  };
}

/** The flags that let Debian's chromium run headless in a container, without phoning home. */
export function launchChromium(executablePath = chromiumPath): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Waits two animation frames. The console binds its keyboard shortcuts in an effect that runs just
 * after a screen's first paint, so a key pressed the very frame the screen turns interactive can be
 * lost (no person is that fast): the browser tests and the benchmark settle before pressing a key.
 */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const { requestAnimationFrame: frame } = globalThis as unknown as {
          requestAnimationFrame(callback: () => void): number;
        };
        frame(() => frame(() => resolve()));
      }),
  );
}

export const demoApiKey = 'console-e2e-demo-key-0123456789';
export const demoPassword = 'console-e2e-password';
/** At least 32 characters, as human-review requires of an admin key. */
export const adminApiKey = 'console-e2e-admin-key-0123456789abcdef';

export interface ConsolePlatform {
  platform: LocalPlatform;
  /** human-review's origin: the console and its API. */
  consoleUrl: string;
  evaluationUrl: string;
  gatewayUrl: string;
  /** Every `keel.review.decided.v1` seen on the bus since the start, in order. */
  decided: ReviewDecided[];
  /** Queues a review request on the bus, as evaluation does for a low score; resolves to its id once listed. */
  queueReview(overrides?: Partial<ReviewRequested>): Promise<string>;
  /** An API call as the demo key (tenant demo, reviewer "demo"). */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

const warrantyText =
  'Batteries are covered for 18 months from the date of delivery. The warranty does not cover damage from water.';
const returnsText = 'Customers can return any robot within 30 days of delivery for a full refund.';

/** A low-score review request grounded on two passages, with citation markers in the answer. */
export function lowScoreRequest(overrides: Partial<ReviewRequested> = {}): ReviewRequested {
  const id = randomUUID();
  const context = (documentId: string, text: string) => ({
    chunkId: `${documentId}#0`,
    documentId,
    documentVersion: 'v1',
    text,
    score: 0.8,
    aclGroups: [],
  });
  const contexts = [context('demo-warranty', warrantyText), context('demo-returns', returnsText)];
  return {
    reviewId: `rev-${id}`,
    tenantId: 'demo',
    requestId: `req-${id}`,
    traceId: randomBytes(16).toString('hex'),
    reason: ReviewReason.REVIEW_REASON_LOW_SCORE,
    detail: 'groundedness 0.41 is below 0.7',
    question: 'How long are batteries covered, and can I return a robot?',
    answer: 'Batteries are covered for 24 months [1]. A robot can be returned within 30 days [2].',
    citations: contexts.map((chunk, index) => ({
      documentId: chunk.documentId,
      documentVersion: chunk.documentVersion,
      chunkId: chunk.chunkId,
      title: chunk.documentId === 'demo-warranty' ? 'Warranty' : 'Returns',
      source: `demo/${chunk.documentId}`,
      startOffset: 0,
      endOffset: chunk.text.length,
      score: chunk.score,
      quote: chunk.text.split('.')[0] ?? '',
      marker: index + 1,
    })),
    contexts,
    score: 0.41,
    requestedBy: 'evaluation',
    requestedAt: new Date(),
    readRequires: [],
    ...overrides,
  };
}

/**
 * Builds the console when its dist is missing or stale, then starts the platform on free ports in
 * a temporary directory with the demo accounts (`reviewer`, `lead`, `admin`, password
 * `demoPassword`). `stop()` stops everything and removes the directory; call it even on failure.
 */
export async function startConsolePlatform(options: { demoCorpus?: boolean } = {}): Promise<ConsolePlatform> {
  await ensureConsoleBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-console-e2e-'));
  let platform: LocalPlatform | undefined;
  try {
    platform = await startLocalPlatform({
      dataDir,
      ports: freePorts,
      env: {
        KEEL_DEMO_API_KEY: demoApiKey,
        KEEL_DEMO_REVIEWER_PASSWORD: demoPassword,
        KEEL_ADMIN_API_KEY: adminApiKey,
        LOG_LEVEL: 'silent',
      },
      logger: createLogger('console-e2e', { level: 'silent' }),
      serviceLogger: (service) => createLogger(service, { level: 'silent' }),
    });
    const running = platform;
    const urls = running.urls;
    const consoleUrl = urls.humanReview ?? '';
    const decided: ReviewDecided[] = [];
    await subscribeToEvents(running.bus, {
      groupId: `keel-console-e2e-${randomUUID().slice(0, 8)}`,
      topic: 'keel.review.decided.v1',
      fromBeginning: true,
      handle: async (event) => {
        decided.push(event.payload);
      },
    });
    if (options.demoCorpus) await loadDemoCorpus(urls.ingestion ?? '', demoApiKey);
    const publisher = new EventPublisher(running.bus);
    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${consoleUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${demoApiKey}`, 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    return {
      platform: running,
      consoleUrl,
      evaluationUrl: urls.evaluation ?? '',
      gatewayUrl: urls.gateway ?? '',
      decided,
      api,
      async queueReview(overrides = {}) {
        const request = lowScoreRequest(overrides);
        await publisher.publish('keel.review.requested.v1', request, { idempotencyKey: request.reviewId });
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const response = await api(`/v1/reviews/${encodeURIComponent(request.reviewId)}`);
          if (response.status === 200) return request.reviewId;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        throw new Error(`review ${request.reviewId} was not queued within 30 s`);
      },
      async stop() {
        try {
          await running.stop();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

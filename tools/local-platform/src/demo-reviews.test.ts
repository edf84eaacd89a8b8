/**
 * `npm start` leaves work in the demo review queue, made the way production makes it (questions
 * through the gateway that the demo policy escalates), with its context and lineage, and a
 * restart does not pile the items up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@keel/platform';
import { waitFor } from '@keel/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDemoCorpus } from './demo-corpus.js';
import { demoReviewQuestions, seedDemoReviews } from './demo-reviews.js';
import { freePorts, type LocalPlatform, startLocalPlatform } from './local-platform.js';

const apiKey = 'demo-reviews-test-key-0123456789';
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

interface Item {
  id: string;
  question: string;
  answer: string;
  reason: string;
  status: string;
  missing: string[];
}

describe('demo review items (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-demo-reviews-'));
  let platform: LocalPlatform | undefined;
  const start = async () => {
    platform = await startLocalPlatform({
      dataDir,
      ports: freePorts,
      env: { KEEL_DEMO_API_KEY: apiKey, KEEL_DEMO_REVIEWER_PASSWORD: 'demo-reviews-password' },
      logger: createLogger('demo-reviews-test', { level: 'silent' }),
    });
    await loadDemoCorpus(platform.urls.ingestion ?? '', apiKey);
    return platform;
  };
  const urlsOf = (running: LocalPlatform) => ({
    gateway: running.urls.gateway ?? '',
    humanReview: running.urls.humanReview ?? '',
  });
  const openItems = async (running: LocalPlatform): Promise<Item[]> => {
    const response = await fetch(`${running.urls.humanReview}/v1/reviews?limit=100`, { headers });
    return ((await response.json()) as { items: Item[] }).items;
  };

  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('queues escalated answers with their context and lineage, once across restarts', async () => {
    let running = await start();
    const first = await seedDemoReviews(urlsOf(running), apiKey);
    expect(first).toEqual({ asked: demoReviewQuestions.length, open: demoReviewQuestions.length, notEscalated: [] });
    expect(demoReviewQuestions.length).toBeGreaterThanOrEqual(6);

    // Whole items: the gateway's completion filled in the answer policy's input escalation lacked.
    const items = await waitFor('items completed with their answers', async () => {
      const open = await openItems(running);
      return open.length === demoReviewQuestions.length && open.every((item) => item.missing.length === 0)
        ? open
        : undefined;
    });
    expect(new Set(items.map((item) => item.reason))).toEqual(new Set(['POLICY_ESCALATION']));
    expect(items.filter((item) => /\[\d+\]/.test(item.answer)).length).toBeGreaterThanOrEqual(4);

    const item = items[0] as Item;
    const context = await waitFor('the context of an item', async () => {
      const response = await fetch(`${running.urls.humanReview}/v1/reviews/${item.id}/context`, { headers });
      const body = (await response.json()) as {
        scores: unknown[];
        findings: { type: string }[];
        policyVersion: string;
      };
      return body.scores.length > 0 && body.findings.length > 0 ? body : undefined;
    });
    expect(context.findings.map((finding) => finding.type)).toContain('topic.escalate');
    expect(context.policyVersion).toMatch(/^demo@v\d+$/);
    const lineage = await waitFor('the lineage through human-review', async () => {
      const response = await fetch(`${running.urls.humanReview}/v1/reviews/${item.id}/lineage`, { headers });
      return response.status === 200 ? ((await response.json()) as { question: string; answer: string }) : undefined;
    });
    expect(lineage).toMatchObject({ question: item.question, answer: item.answer });

    // Decide one, then restart: only the decided question is asked again.
    const claimed = await fetch(`${running.urls.humanReview}/v1/reviews/${item.id}/claim`, {
      method: 'POST',
      headers,
    });
    expect(claimed.status).toBe(200);
    const decided = await fetch(`${running.urls.humanReview}/v1/reviews/${item.id}/decision`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ outcome: 'approved' }),
    });
    expect(decided.status).toBe(200);
    await running.stop();
    platform = undefined;

    running = await start();
    const second = await seedDemoReviews(urlsOf(running), apiKey);
    expect(second).toMatchObject({ asked: 1, open: demoReviewQuestions.length });
    expect((await openItems(running)).length).toBe(demoReviewQuestions.length);
    expect(await seedDemoReviews(urlsOf(running), apiKey)).toMatchObject({ asked: 0 });
  }, 180_000);
});

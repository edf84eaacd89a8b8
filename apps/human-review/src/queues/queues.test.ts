import { ReviewOutcome, ReviewReason } from '@keel/contracts/review/v1';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import { describeWithInfra, findMongo, uniqueName } from '@keel/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { claimReview } from '../reviews/claim-review.js';
import { decideReview } from '../reviews/decide-review.js';
import { enqueueReview } from '../reviews/enqueue-review.js';
import { AlreadyDecidedError } from '../reviews/review-errors.js';
import type { ReviewItem } from '../reviews/review-item.js';
import { skipReview } from '../reviews/skip-review.js';
import { codeOf, failureOf, requested } from '../testing/fixtures.js';
import { adoptLegacyItems } from './adopt-legacy-items.js';
import { runBulkAction } from './bulk-actions.js';
import { claimNext, SKIP_WINDOW_MS } from './claim-next.js';
import { rankOf } from './queue-rank.js';
import { ensureDefaultQueue } from './queue-store.js';
import { addQueue, openWorkFixture, reviewer, type WorkFixture } from './queue-test-kit.js';
import { deleteQueue, progressOf, queueAgreement, queueCounts } from './queue-work.js';
import { breachIfDue, sweepSla } from './sla-sweep.js';

vi.mock('./sla-metrics.js', () => ({ countSlaBreach: vi.fn() }));
const { countSlaBreach } = await import('./sla-metrics.js');

const alice = reviewer('alice');
const bob = reviewer('bob');
const carol = reviewer('carol');
const lead = reviewer('lena', { roles: ['lead'] });
const LEASE_MS = 60_000;
const MINUTE = 60_000;

let store: DocumentStore;
let fx: WorkFixture;

function queueSuite(openStore: () => Promise<DocumentStore>) {
  beforeEach(async () => {
    store = await openStore();
    fx = await openWorkFixture(store);
    vi.mocked(countSlaBreach).mockClear();
  });

  afterEach(async () => {
    await store.close();
  });

  const enqueue = (reviewId: string, overrides: Parameters<typeof requested>[0] = {}) =>
    enqueueReview(
      { ...fx.work, logger: fx.log.logger },
      requested({ reviewId, requestId: `req-${reviewId}`, ...overrides }),
    );

  const stored = async (id: string) => (await fx.work.reviews.get(id)) as ReviewItem;

  describe('routing', () => {
    it('creates the default queue on first use and puts what no rule matches there', async () => {
      await enqueue('r1');
      const item = await stored('r1');
      expect(item).toMatchObject({
        queueId: 'default',
        priority: 50,
        dueAt: item.createdAt + 24 * 60 * MINUTE,
        reviewersRequired: 1,
        decisions: [],
        slaBreachedAt: null,
      });
      expect(await fx.work.queues.count({ tenantId: 'acme' })).toBe(1);
    });

    it('takes the first queue by order whose every condition matches', async () => {
      await addQueue(fx, 'escalations', {
        order: 1,
        match: { reasons: ['POLICY_ESCALATION'] },
        basePriority: 80,
        slaMinutes: 15,
      });
      await addQueue(fx, 'low-from-eval', { order: 2, match: { maxScore: 0.3, requestedBy: ['evaluation'] } });
      await addQueue(fx, 'low-any', { order: 3, match: { maxScore: 0.3 } });
      await enqueue('esc', { reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION });
      await enqueue('low', { score: 0.2, requestedBy: 'evaluation' });
      await enqueue('low-user', { score: 0.2, requestedBy: 'feedback' });
      await enqueue('high', { score: 0.9 });
      const esc = await stored('esc');
      expect(esc).toMatchObject({ queueId: 'escalations', priority: 80, dueAt: esc.createdAt + 15 * MINUTE });
      expect((await stored('low')).queueId).toBe('low-from-eval');
      expect((await stored('low-user')).queueId).toBe('low-any');
      expect((await stored('high')).queueId).toBe('default');
    });

    it('queues a request once per (tenant, request id, reason), whatever its review id', async () => {
      expect(await enqueue('a', { requestId: 'req-x' })).toBe('queued');
      expect(await enqueue('b', { requestId: 'req-x' })).toBe('already-queued');
      expect(await enqueue('c', { requestId: 'req-x', reason: ReviewReason.REVIEW_REASON_USER_FEEDBACK })).toBe(
        'queued',
      );
      expect(await enqueue('a', { requestId: 'req-x' })).toBe('already-queued');
      expect(await enqueue('d', { requestId: 'req-x', tenantId: 'globex' })).toBe('queued');
      expect((await fx.work.reviews.find({})).items.map((item) => item.id).sort()).toEqual(['a', 'c', 'd']);
    });

    it("keeps a duplicate's detail on the queued item (policy escalating the input and the output of one answer)", async () => {
      const escalation = { requestId: 'req-z', reason: ReviewReason.REVIEW_REASON_POLICY_ESCALATION };
      await enqueue('in', { ...escalation, detail: 'the input mentions litigation' });
      expect(await enqueue('out', { ...escalation, detail: 'the output names a settlement' })).toBe('already-queued');
      expect(await enqueue('out', { ...escalation, detail: 'the output names a settlement' })).toBe('already-queued');
      expect((await stored('in')).detail).toBe('the input mentions litigation\nthe output names a settlement');
    });

    it('routes drift samples by their reason', async () => {
      await addQueue(fx, 'drift', { order: 1, match: { reasons: ['DRIFT'] } });
      await enqueue('d1', { reason: ReviewReason.REVIEW_REASON_DRIFT });
      expect(await stored('d1')).toMatchObject({ reason: 'DRIFT', queueId: 'drift' });
    });

    it('takes over a request key whose item was never stored (a stop between the two writes)', async () => {
      await fx.work.requestKeys.insert({
        id: '4:acme:5:req-y:LOW_SCORE',
        tenantId: 'acme',
        reviewId: 'lost',
        createdAt: 1,
      });
      expect(await enqueue('found', { requestId: 'req-y' })).toBe('queued');
    });
  });

  describe('claimNext', () => {
    it('takes the highest priority, then the earliest due time, then the oldest item', async () => {
      await addQueue(fx, 'urgent', { order: 1, match: { requestedBy: ['policy'] }, basePriority: 90, slaMinutes: 600 });
      await enqueue('old-default');
      fx.clock.now += 1000;
      await enqueue('new-default');
      fx.clock.now += 1000;
      await enqueue('urgent', { requestedBy: 'policy' });
      const order: string[] = [];
      for (const who of [alice, bob, carol])
        order.push((await claimNext(fx.work, who, { leaseMs: LEASE_MS }))?.id ?? '-');
      expect(order).toEqual(['urgent', 'old-default', 'new-default']);
      expect(await claimNext(fx.work, lead, { leaseMs: LEASE_MS })).toBeNull();
    });

    it('orders by due time within a priority', () => {
      expect(rankOf(60, 10, 99) < rankOf(50, 1, 1)).toBe(true);
      expect(rankOf(50, 1, 99) < rankOf(50, 2, 1)).toBe(true);
      expect(rankOf(50, 1, 1) < rankOf(50, 1, 2)).toBe(true);
    });

    it('keeps to one queue when asked', async () => {
      await addQueue(fx, 'legal', { order: 1, match: { requestedBy: ['policy'] } });
      await enqueue('d1');
      await enqueue('l1', { requestedBy: 'policy' });
      expect((await claimNext(fx.work, alice, { queueId: 'legal', leaseMs: LEASE_MS }))?.id).toBe('l1');
      expect(await claimNext(fx.work, alice, { queueId: 'legal', leaseMs: LEASE_MS })).toBeNull();
    });

    it('passes over what the caller may not read, skipped in the last hour, or already decided', async () => {
      await enqueue('secret', { readRequires: [{ anyOf: ['legal'] }] });
      fx.clock.now += 1;
      await enqueue('skipped');
      await skipReview(fx.work, alice, 'skipped', 'not my language');
      expect(await claimNext(fx.work, alice, { leaseMs: LEASE_MS })).toBeNull();
      expect((await claimNext(fx.work, reviewer('lex', { aclGroups: ['legal'] }), { leaseMs: LEASE_MS }))?.id).toBe(
        'secret',
      );
      fx.clock.now += SKIP_WINDOW_MS + 1;
      expect((await claimNext(fx.work, alice, { leaseMs: LEASE_MS }))?.id).toBe('skipped');
    });

    it('takes an item whose lease ran out', async () => {
      await enqueue('r1');
      await claimReview(fx.work, alice, 'r1', LEASE_MS);
      expect(await claimNext(fx.work, bob, { leaseMs: LEASE_MS })).toBeNull();
      fx.clock.now += LEASE_MS;
      expect(await claimNext(fx.work, bob, { leaseMs: LEASE_MS })).toMatchObject({ id: 'r1', claimedBy: 'bob' });
    });

    it('gives 20 concurrent callers on 10 items 10 distinct items and 10 nothings', async () => {
      for (let index = 0; index < 10; index++) await enqueue(`r${index}`);
      const callers = Array.from({ length: 20 }, (_, index) => reviewer(`reviewer-${index}`));
      const results = await Promise.all(callers.map((who) => claimNext(fx.work, who, { leaseMs: LEASE_MS })));
      const claimed = results.filter((item): item is ReviewItem => item !== null);
      expect(claimed).toHaveLength(10);
      expect(new Set(claimed.map((item) => item.id)).size).toBe(10);
      for (const item of claimed) expect((await stored(item.id)).claimedBy).toBe(item.claimedBy);
    });

    it('never gives two reviewers claiming at once the same item', async () => {
      await enqueue('only');
      const [first, second] = await Promise.all([
        claimNext(fx.work, alice, { leaseMs: LEASE_MS }),
        claimNext(fx.work, bob, { leaseMs: LEASE_MS }),
      ]);
      expect([first?.id, second?.id].filter(Boolean)).toEqual(['only']);
    });
  });

  describe('skip', () => {
    it('releases a held item and remembers who skipped it and why', async () => {
      await enqueue('r1');
      await claimReview(fx.work, alice, 'r1', LEASE_MS);
      expect(await codeOf(skipReview(fx.work, bob, 'r1', 'busy'))).toBe('REVIEW.LEASE_NOT_HELD');
      const item = await skipReview(fx.work, alice, 'r1', 'needs a lawyer');
      expect(item).toMatchObject({
        status: 'pending',
        claimedBy: null,
        skips: [{ reviewer: 'alice', reason: 'needs a lawyer', at: fx.clock.now }],
      });
    });
  });

  describe('several reviewers per item', () => {
    beforeEach(async () => {
      await addQueue(fx, 'triple', { order: 1, match: {}, reviewersPerItem: 3 });
      await enqueue('r1');
    });

    async function decide(who: typeof alice, outcome: 'approved' | 'rejected' | 'corrected') {
      await claimReview(fx.work, who, 'r1', LEASE_MS);
      return decideReview(
        fx.work,
        who,
        'r1',
        outcome === 'corrected' ? { outcome, correctedAnswer: `by ${who.name}` } : { outcome },
      );
    }

    it('stays open until the third distinct reviewer, then publishes once with the majority outcome', async () => {
      expect((await decide(alice, 'rejected')).item).toMatchObject({
        status: 'pending',
        decision: null,
        decisionCount: 1,
      });
      // Alice decided: she can neither claim it again nor be offered it.
      expect(await codeOf(claimReview(fx.work, alice, 'r1', LEASE_MS))).toBe('REVIEW.ALREADY_DECIDED');
      expect(await claimNext(fx.work, alice, { leaseMs: LEASE_MS })).toBeNull();
      await decide(bob, 'approved');
      expect(fx.publisher.of('keel.review.decided.v1')).toEqual([]);
      const { item } = await decide(carol, 'rejected');
      expect(item).toMatchObject({
        status: 'decided',
        decision: { outcome: 'rejected', reviewer: 'carol' },
        decisionCount: 3,
      });
      const events = fx.publisher.of('keel.review.decided.v1');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        outcome: ReviewOutcome.REVIEW_OUTCOME_REJECTED,
        reviewer: 'carol',
        reviewers: { names: ['alice', 'bob', 'carol'] },
        queueId: 'triple',
      });
    });

    it('on a tie the latest decision stands', async () => {
      await fx.work.queues.updateIf('4:acme:triple', {}, { reviewersPerItem: 2 });
      await fx.work.reviews.updateIf('r1', {}, { reviewersRequired: 2 });
      await decide(alice, 'approved');
      const { item } = await decide(bob, 'corrected');
      expect(item.decision).toMatchObject({ outcome: 'corrected', reviewer: 'bob', correctedAnswer: 'by bob' });
    });
  });

  describe('a second decision on a decided single-review item', () => {
    it('is refused with the decision that stands, and changes nothing', async () => {
      await enqueue('r1');
      await claimReview(fx.work, alice, 'r1', LEASE_MS);
      await decideReview(fx.work, alice, 'r1', { outcome: 'approved', comment: 'fine' });
      const error = await failureOf(decideReview(fx.work, bob, 'r1', { outcome: 'rejected' }));
      expect(error).toBeInstanceOf(AlreadyDecidedError);
      expect((error as AlreadyDecidedError).decision).toMatchObject({
        outcome: 'approved',
        reviewer: 'alice',
        comment: 'fine',
      });
      expect((await stored('r1')).decision).toMatchObject({ outcome: 'approved', reviewer: 'alice' });
      expect(fx.publisher.of('keel.review.decided.v1')).toHaveLength(1);
    });
  });

  describe('rubrics', () => {
    beforeEach(async () => {
      await addQueue(fx, 'graded', {
        order: 1,
        rubric: {
          scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }],
          categories: [{ key: 'tone', label: 'Tone', options: ['ok', 'rude'] }],
          notes: true,
        },
      });
      await enqueue('r1');
      await claimReview(fx.work, alice, 'r1', LEASE_MS);
    });

    it('refuses answers outside the queue rubric, naming the field', async () => {
      const error = await failureOf(
        decideReview(fx.work, alice, 'r1', {
          outcome: 'approved',
          rubric: { scores: { accuracy: 7, depth: 1 }, categories: { tone: 'angry' } },
        }),
      );
      expect((error as { violations: { field: string }[] }).violations.map((violation) => violation.field)).toEqual([
        'rubric.scores.accuracy',
        'rubric.scores.depth',
        'rubric.categories.tone',
      ]);
      expect((await stored('r1')).status).toBe('claimed');
    });

    it('keeps valid answers with the decision and in the event', async () => {
      const rubric = { scores: { accuracy: 4 }, categories: { tone: 'ok' }, notes: 'cites the wrong policy' };
      const { item } = await decideReview(fx.work, alice, 'r1', { outcome: 'approved', rubric });
      expect(item.decision?.rubric).toEqual(rubric);
      expect(JSON.parse(fx.publisher.of('keel.review.decided.v1')[0]?.rubricJson ?? '')).toEqual(rubric);
    });
  });

  describe('SLA', () => {
    it('marks an open item past due once: priority +10, audit entry, counter', async () => {
      await addQueue(fx, 'fast', { order: 1, slaMinutes: 5, basePriority: 95 });
      await enqueue('r1');
      fx.clock.now += 5 * MINUTE - 1;
      expect(await sweepSla(fx.work)).toBe(0);
      fx.clock.now += 1;
      expect(await sweepSla(fx.work)).toBe(1);
      expect(await sweepSla(fx.work)).toBe(0);
      const item = await stored('r1');
      expect(item).toMatchObject({
        priority: 100,
        slaBreachedAt: fx.clock.now,
        rank: rankOf(100, item.dueAt ?? 0, item.createdAt),
      });
      expect(countSlaBreach).toHaveBeenCalledTimes(1);
      expect(countSlaBreach).toHaveBeenCalledWith('fast');
      const audit = await fx.work.audit.find({ where: { action: 'review.sla-breached' } });
      expect(audit.items).toMatchObject([{ actor: 'system', reviewId: 'r1', queueId: 'fast' }]);
      expect(await queueCounts(fx.work, 'acme', 'fast')).toMatchObject({ pending: 1, breached: 1 });
    });

    it('leaves decided items alone, and marks on read', async () => {
      await enqueue('done');
      await enqueue('open', { requestId: 'other' });
      await claimReview(fx.work, alice, 'done', LEASE_MS);
      await decideReview(fx.work, alice, 'done', { outcome: 'approved' });
      fx.clock.now += 24 * 60 * MINUTE;
      expect((await breachIfDue(fx.work, await stored('done'))).slaBreachedAt).toBeFalsy();
      expect((await breachIfDue(fx.work, await stored('open'))).priority).toBe(60);
    });
  });

  describe('bulk actions', () => {
    beforeEach(async () => {
      for (const id of ['b1', 'b2', 'b3']) await enqueue(id);
      await enqueue('secret', { readRequires: [{ anyOf: ['legal'] }] });
    });

    it('refuses when the filter matches a different count than the lead saw, and changes nothing', async () => {
      const error = await codeOf(
        runBulkAction(fx.work, lead, { filter: {}, action: 'set-priority', priority: 90, expectedCount: 4 }),
      );
      expect(error).toBe('REVIEW.BULK_COUNT_MISMATCH');
      expect((await stored('b1')).priority).toBe(50);
    });

    it('sets priority on the readable selection only', async () => {
      const result = await runBulkAction(fx.work, lead, {
        filter: {},
        action: 'set-priority',
        priority: 90,
        expectedCount: 3,
      });
      expect(result).toMatchObject({ matched: 3, changed: 3 });
      expect((await stored('secret')).priority).toBe(50);
      expect((await claimNext(fx.work, alice, { leaseMs: LEASE_MS }))?.priority).toBe(90);
    });

    it('releases, moves and rejects (publishing each rejection)', async () => {
      await claimReview(fx.work, alice, 'b1', LEASE_MS);
      expect(
        await runBulkAction(fx.work, lead, { filter: { status: 'claimed' }, action: 'release', expectedCount: 1 }),
      ).toMatchObject({ changed: 1 });
      expect((await stored('b1')).status).toBe('pending');
      await addQueue(fx, 'later', { order: 50, match: { requestedBy: ['nobody'] }, basePriority: 10 });
      const moved = await runBulkAction(fx.work, lead, {
        filter: { ids: ['b1', 'b2'] },
        action: 'move',
        queueId: 'later',
        expectedCount: 2,
      });
      expect(moved).toMatchObject({ matched: 2, changed: 2 });
      expect(await stored('b2')).toMatchObject({ queueId: 'later', priority: 10 });
      const rejected = await runBulkAction(fx.work, lead, {
        filter: { queueId: 'later' },
        action: 'reject',
        comment: 'spam',
        expectedCount: 2,
      });
      expect(rejected.changed).toBe(2);
      expect(await stored('b1')).toMatchObject({
        status: 'decided',
        decision: { outcome: 'rejected', reviewer: 'lena', comment: 'spam' },
      });
      expect(fx.publisher.of('keel.review.decided.v1')).toHaveLength(2);
    });
  });

  describe('agreement', () => {
    it("is Krippendorff's alpha over items with two or more decisions, per outcome and rubric score", async () => {
      await addQueue(fx, 'pairs', {
        order: 1,
        reviewersPerItem: 2,
        rubric: { scores: [{ key: 'accuracy', label: 'Accuracy', min: 1, max: 5 }], categories: [], notes: false },
      });
      const votes: [string, 'approved' | 'rejected', number, 'approved' | 'rejected', number][] = [
        ['p1', 'approved', 5, 'approved', 5],
        ['p2', 'rejected', 1, 'rejected', 1],
        ['p3', 'approved', 4, 'rejected', 2],
      ];
      for (const [id, first, firstScore, second, secondScore] of votes) {
        await enqueue(id);
        for (const [who, outcome, score] of [
          [alice, first, firstScore],
          [bob, second, secondScore],
        ] as const) {
          await claimReview(fx.work, who, id, LEASE_MS);
          await decideReview(fx.work, who, id, { outcome, rubric: { scores: { accuracy: score } } });
        }
      }
      await enqueue('single');
      const agreement = await queueAgreement(fx.work, 'acme', 'pairs');
      // Hand-computed (krippendorff-alpha.test.ts): one disagreement in three pairs is 1 − 10/18.
      expect(agreement).toMatchObject({ queueId: 'pairs', items: 3 });
      expect(agreement.alpha).toBeCloseTo(1 - 10 / 18, 10);
      expect(agreement.byRubric.accuracy).toBeGreaterThan(0.5);
      expect(agreement.byRubric.accuracy).toBeLessThan(1);
    });
  });

  describe('legacy items and deleted queues', () => {
    it('adopts items from before queues into default with its priority and SLA', async () => {
      const now = fx.clock.now;
      const legacy = { ...requested(), id: 'old' } as unknown as ReviewItem;
      await fx.work.reviews.insert({
        id: 'old',
        tenantId: 'acme',
        requestId: 'req-old',
        traceId: '',
        reason: 'LOW_SCORE',
        detail: '',
        question: 'q',
        answer: 'a',
        citations: [],
        contexts: [],
        score: 0,
        requestedBy: 'evaluation',
        requestedAt: null,
        status: 'pending',
        claimedBy: null,
        leaseExpiresAt: null,
        decision: null,
        decisionPublishedAt: null,
        createdAt: now - 1000,
        updatedAt: now - 1000,
      });
      expect(legacy.id).toBe('old');
      expect(await adoptLegacyItems({ ...fx.work, logger: fx.log.logger })).toBe(1);
      const queue = await ensureDefaultQueue(fx.work, 'acme');
      expect(await stored('old')).toMatchObject({
        queueId: 'default',
        priority: queue.basePriority,
        dueAt: now - 1000 + queue.slaMinutes * MINUTE,
        decisions: [],
      });
      expect((await claimNext(fx.work, alice, { leaseMs: LEASE_MS }))?.id).toBe('old');
      expect(await adoptLegacyItems({ ...fx.work, logger: fx.log.logger })).toBe(0);
    });

    it('routes the open items of a deleted queue again; default cannot be deleted', async () => {
      await addQueue(fx, 'gone', { order: 1, basePriority: 70 });
      await enqueue('r1');
      expect((await stored('r1')).queueId).toBe('gone');
      await deleteQueue(fx.work, 'acme', 'gone');
      expect(await stored('r1')).toMatchObject({ queueId: 'default', priority: 50 });
      expect(await codeOf(deleteQueue(fx.work, 'acme', 'default'))).toBe('QUEUE.DEFAULT_UNDELETABLE');
    });
  });

  describe('progress', () => {
    it("counts the reviewer's decisions from the audit trail and lists what they hold", async () => {
      await enqueue('r1');
      await enqueue('r2', { requestId: 'x' });
      await claimReview(fx.work, alice, 'r2', LEASE_MS);
      await fx.work.audit.insert({
        id: 'a1',
        tenantId: 'acme',
        actor: 'alice',
        action: 'review.decided',
        reviewId: 'r0',
        queueId: 'default',
        detail: {},
        at: fx.clock.now,
      });
      const progress = await progressOf(fx.work, alice);
      expect(progress).toMatchObject({ decidedToday: 1, decidedThisWeek: 1, claimed: ['r2'] });
      expect(progress.queues).toEqual([{ queueId: 'default', pending: 1, breached: 0 }]);
    });
  });
}

describe('queues on the embedded store', () => {
  queueSuite(async () => createEmbeddedDocumentStore({ path: ':memory:' }));
});

describeWithInfra('queues on the MongoDB protocol', await findMongo(), (endpoint) => {
  queueSuite(() =>
    createMongoDocumentStore({ url: endpoint.url, database: uniqueName('keel_hr_queues').replace(/-/g, '_') }),
  );
});

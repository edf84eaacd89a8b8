/**
 * Lineage over real Kafka and the MongoDB protocol (FerretDB): the same events as on the embedded
 * adapters, published out of order, some twice, plus a poison one. The consumers run under groups
 * and a tenant of their own, started at the end of the topics, so other runs sharing the broker do
 * not interfere. Skipped visibly without the infrastructure.
 */
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { PolicyDecided } from '@keel/contracts/events/v1/policy';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import type { Collection, DocumentStore } from '@keel/doc-store';
import { createMongoDocumentStore } from '@keel/doc-store/mongodb';
import {
  DeadLetterHeader,
  EventPublisher,
  ensureKeelTopics,
  type IncomingMessage,
  type Subscription,
} from '@keel/event-bus';
import { createKafkaEventBus } from '@keel/event-bus/kafka';
import { createLogger } from '@keel/platform';
import { describeWithInfra, findKafka, findMongo, uniqueName, waitFor } from '@keel/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLineageConsumers } from '../inbound/event-consumers.js';
import { getAnswerLineage } from './answer-lineage.js';
import { LINEAGE_COLLECTION, type LineageEntry, lineageCollectionOptions } from './lineage-entry.js';

const kafka = await findKafka();
const mongo = await findMongo();

describeWithInfra('lineage over Kafka', kafka, ({ brokers }) => {
  describeWithInfra('and the MongoDB protocol', mongo, ({ url }) => {
    const tenantId = uniqueName('lineage');
    const requestId = uniqueName('req');
    const bus = createKafkaEventBus({ brokers, clientId: uniqueName('keel-evaluation-lineage-test') });
    const publisher = new EventPublisher(bus);
    const deadLetters: IncomingMessage[] = [];
    let store: DocumentStore;
    let subscriptions: Subscription[] = [];
    let lineage: Collection<LineageEntry>;

    beforeAll(async () => {
      store = await createMongoDocumentStore({
        url,
        database: uniqueName('keel_evaluation_lineage').replace(/-/g, '_'),
      });
      lineage = await store.collection<LineageEntry>(LINEAGE_COLLECTION, lineageCollectionOptions);
      await ensureKeelTopics(bus);
      await bus.subscribe({
        groupId: uniqueName('lineage-dlq-watch'),
        topics: ['keel.policy.decided.v1.dlq'],
        fromBeginning: false,
        handler: async (message) => {
          if (
            message.headers['keel-tenant'] === tenantId ||
            new TextDecoder().decode(message.value).includes(tenantId)
          ) {
            deadLetters.push(message);
          }
        },
      });
      const group = (name: string) => uniqueName(`keel-evaluation-lineage-${name}-test`);
      subscriptions = await startLineageConsumers(
        bus,
        { lineage, logger: createLogger('evaluation', { level: 'silent' }) },
        {
          fromBeginning: false,
          groups: {
            'keel.inference.completed.v1': group('completions'),
            'keel.policy.decided.v1': group('policy'),
            'keel.evaluation.scored.v1': group('scores'),
            'keel.review.decided.v1': group('reviews'),
          },
        },
      );
    }, 90_000);

    afterAll(async () => {
      await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
      await bus.close();
      await store?.close();
    });

    it('assembles the view from events out of order, counts copies once, dead-letters poison', async () => {
      const base = Date.now() - 60_000;
      const decided: PolicyDecided = {
        decisionId: `${requestId}-in`,
        tenantId,
        requestId,
        stage: 'input',
        decision: 'ALLOW',
        findingTypes: [],
        reason: '',
        policyVersion: `${tenantId}@v2`,
        decidedAt: new Date(base),
        rulesFired: ['block-secrets'],
        findingCount: 0,
        decidedBy: 'inference-gateway',
      };
      const review: ReviewDecided = {
        reviewId: `${requestId}-review`,
        tenantId,
        requestId,
        traceId: '',
        outcome: ReviewOutcome.REVIEW_OUTCOME_APPROVED,
        question: 'Where is the office?',
        originalAnswer: 'In Lyon. [1]',
        correctedAnswer: '',
        reviewer: 'alice',
        comment: '',
        decidedAt: new Date(base + 30_000),
        readRequires: [],
        missing: [],
        citations: [],
        contexts: [],
      };
      const completed: InferenceCompleted = {
        requestId,
        traceId: 'f'.repeat(32),
        tenantId,
        endpoint: '/v1/answers',
        model: 'gpt-4o-mini',
        provider: 'openai',
        usage: { promptTokens: 10, completionTokens: 4, totalTokens: 14, costUsd: 0.0001 },
        latencyMs: 100,
        question: 'Where is the office?',
        answer: 'In Lyon. [1]',
        contexts: [],
        citations: [],
        policy: [],
        completedAt: new Date(base + 1_000),
        readRequires: [],
        subject: 'app',
      };
      await publisher.publish('keel.review.decided.v1', review);
      await publisher.publish('keel.review.decided.v1', review);
      await publisher.publish('keel.inference.completed.v1', completed);
      await publisher.publish('keel.policy.decided.v1', decided);
      await publisher.publish('keel.policy.decided.v1', { ...decided, decisionId: '' });
      await publisher.publish('keel.policy.decided.v1', decided);

      const reader = { tenantId, aclGroups: [] };
      const view = await waitFor(
        'the whole lineage',
        async () => {
          const found = await getAnswerLineage(lineage, reader, requestId).catch(() => undefined);
          return found?.received.completion && found.received.policyDecisions && found.reviews.length > 0
            ? found
            : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 200 },
      );
      expect(view.timeline.map((item) => item.kind)).toEqual(['policy', 'completion', 'review']);
      expect(view.policyDecisions).toMatchObject([{ policyVersion: `${tenantId}@v2`, rulesFired: ['block-secrets'] }]);
      const letter = await waitFor('the dead letter', () => deadLetters[0], { timeoutMs: 45_000, intervalMs: 200 });
      expect(letter.headers[DeadLetterHeader.attempts]).toBe('1');
      // Markers after the copies, on the same keys: once they are in, every copy has been handled.
      await publisher.publish('keel.policy.decided.v1', {
        ...decided,
        decisionId: `${requestId}-out`,
        stage: 'output',
      });
      await publisher.publish('keel.review.decided.v1', { ...review, reviewId: `${requestId}-second-review` });
      await waitFor(
        'the markers',
        async () => {
          const found = await getAnswerLineage(lineage, reader, requestId);
          return found.policyDecisions.length >= 2 && found.reviews.length >= 2 ? found : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 200 },
      );
      expect(await lineage.count({ tenantId })).toBe(5);
    }, 90_000);
  });
});

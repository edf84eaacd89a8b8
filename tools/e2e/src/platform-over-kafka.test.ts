/**
 * The six services as separate processes over real Kafka and a real MongoDB-protocol server:
 * a document published by a plain kafkajs producer becomes answerable through the gateway, the
 * answer is scored by evaluation, low-scored answers and policy escalations reach the review
 * queue (where a signed-in reviewer's correction becomes a golden example and part of the
 * answer's lineage), and the caller's trace id follows each path across processes and topics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvent, topicNames } from '@keel/contracts';
import type { InferenceCompleted } from '@keel/contracts/events/v1/inference';
import type { ReviewDecided } from '@keel/contracts/events/v1/review';
import { ReviewOutcome } from '@keel/contracts/review/v1';
import { type FakeUpstream, serverError, startFakeUpstream } from '@keel/models/testing';
import {
  type Availability,
  describeWithInfra,
  findKafka,
  findMongo,
  findQdrant,
  type KafkaEndpoint,
  type MongoEndpoint,
  waitFor,
} from '@keel/testing';
import { type Consumer, Kafka, logLevel, type Producer } from 'kafkajs';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  freePort,
  type ServiceProcess,
  startServiceProcess,
  stopServiceProcess,
  waitUntilReady,
} from './service-processes.js';

const [kafka, mongo, qdrant] = await Promise.all([findKafka(), findMongo(), findQdrant()]);
const infrastructure: Availability<{ kafka: KafkaEndpoint; mongo: MongoEndpoint }> = !kafka.available
  ? kafka
  : !mongo.available
    ? mongo
    : !qdrant.available && qdrant.required
      ? qdrant
      : { available: true, endpoint: { kafka: kafka.endpoint, mongo: mongo.endpoint } };

const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];
const pdfFixture = fileURLToPath(
  new URL('../../../libs/text/src/formats/fixtures/hello_world_rotated.pdf', import.meta.url),
);
// The fake model's price in the routing file: its default usage (12 prompt, 4 completion tokens) costs 0.0002.
const fakeModel = 'fake-small';
const fakeModelCost = (12 * 10 + 4 * 20) / 1_000_000;
const newTraceparent = () => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

describeWithInfra('six services as processes over Kafka and the MongoDB protocol', infrastructure, (endpoints) => {
  const runId = randomUUID().slice(0, 8);
  // A tenant of its own per run: the vector collection outlives runs on the same Qdrant.
  const tenant = `e2e-${runId}`;
  // A reviewer in group `legal`, and a key of the same tenant in no group.
  const apiKey = `e2e-legal-${randomBytes(12).toString('hex')}`;
  const outsiderKey = `e2e-outsider-${randomBytes(12).toString('hex')}`;
  const ingestionGroup = `keel-ingestion-e2e-${randomBytes(6).toString('hex')}`;
  // The services' consumer groups of new work and the topic each reads (each app's inbound/event-consumers.ts).
  const serviceWorkGroups: [group: string, topic: string][] = [
    ['keel-evaluation', 'keel.inference.completed.v1'],
    ['keel-evaluation-feedback', 'keel.review.requested.v1'],
    ['keel-evaluation-golden-datasets', 'keel.review.decided.v1'],
    ['keel-evaluation-lineage-completions', 'keel.inference.completed.v1'],
    ['keel-evaluation-lineage-policy', 'keel.policy.decided.v1'],
    ['keel-evaluation-lineage-scores', 'keel.evaluation.scored.v1'],
    ['keel-evaluation-lineage-reviews', 'keel.review.decided.v1'],
    ['keel-human-review', 'keel.review.requested.v1'],
    ['keel-human-review-exchanges', 'keel.inference.completed.v1'],
    ['keel-human-review-scores', 'keel.evaluation.scored.v1'],
    ['keel-human-review-findings', 'keel.policy.decided.v1'],
    ['keel-policy-audit', 'keel.policy.decided.v1'],
  ];
  // The cases that read totals or change a policy get a tenant each, so that no case sees another's traffic.
  const caseTenants = ['money', 'retry', 'policy', 'data'] as const;
  const caseKeys = Object.fromEntries(
    caseTenants.map((name) => [name, `e2e-${name}-${randomBytes(12).toString('hex')}`]),
  ) as Record<(typeof caseTenants)[number], string>;
  const tenantOf = (name: (typeof caseTenants)[number]) => `${tenant}-${name}`;
  // The review flow works its own tenant's queue, so that "claim next" can only find its item. Its key
  // asks the gateway and reads evaluation; the reviewer acts through a console session.
  const reviewTenant = `${tenant}-review`;
  const reviewKey = `e2e-review-${randomBytes(12).toString('hex')}`;
  // Creates the reviewer's console account, as an operator would.
  const reviewAdminKey = randomBytes(32).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-e2e-'));
  const services: ServiceProcess[] = [];
  const urls: Record<string, string> = {};
  let producer: Producer;
  let consumer: Consumer;
  const indexedEvents: { documentId: string; traceparent?: string }[] = [];
  const completedEvents: InferenceCompleted[] = [];
  let upstream: FakeUpstream;

  beforeAll(async () => {
    const gateway = await freePort();
    const ingestion = await freePort();
    const review = await freePort();
    const evaluation = await freePort();
    const retrievalGrpc = await freePort();
    const retrievalHttp = await freePort();
    const policyGrpc = await freePort();
    const policyHttp = await freePort();
    // A provider model: an OpenAI-compatible server the gateway reaches over HTTP, as it would vLLM.
    upstream = await startFakeUpstream();
    const routingFile = join(dataDir, 'gateway-routing.yaml');
    writeFileSync(
      routingFile,
      [
        'retries: { attempts: 3, backoffBaseMs: 20ms, backoffMaxMs: 100ms }',
        'pricing:',
        '  currency: USD',
        '  models:',
        `    ${fakeModel}: { inputPerMillion: 10, outputPerMillion: 20 }`,
        '',
      ].join('\n'),
    );
    // The run's tenant gets the demo tenant's escalation topics, as a platform team seeds policies.
    const policySeeds = join(dataDir, 'policies.json');
    writeFileSync(
      policySeeds,
      JSON.stringify({
        [tenant]: {
          deniedTopics: [],
          escalateTopics: [{ name: 'legal-dispute', phrases: ['lawsuit', 'legal action', 'my lawyer'] }],
          piiAction: 'redact',
        },
        [reviewTenant]: {
          deniedTopics: [],
          escalateTopics: [{ name: 'legal-dispute', phrases: ['lawsuit', 'legal action', 'my lawyer'] }],
          piiAction: 'redact',
        },
      }),
    );
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
      MONGODB_URL: endpoints.mongo.url,
      // Real Qdrant when there is one (CI requires it where its binary is); else the embedded index in KEEL_DATA_DIR.
      ...(qdrant.available ? { QDRANT_URL: qdrant.endpoint.url } : {}),
      KEEL_DATA_DIR: dataDir,
      KEEL_API_KEYS: [
        `${apiKey}=${tenant}:legal:e2e-reviewer`,
        `${outsiderKey}=${tenant}`,
        ...caseTenants.map((name) => `${caseKeys[name]}=${tenantOf(name)}`),
        `${reviewKey}=${reviewTenant}`,
      ].join(','),
      KEEL_INTERNAL_TOKEN: randomBytes(32).toString('hex'),
      POLICY_ADDRESS: `127.0.0.1:${policyGrpc}`,
      RETRIEVAL_ADDRESS: `127.0.0.1:${retrievalGrpc}`,
      LOG_LEVEL: 'info',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const envFor = (service: string, own: Record<string, number>) => ({
      ...common,
      // Retrieval reads ingestion's database (the index generation record names the collection it serves).
      MONGODB_DATABASE: `keel_e2e_${runId}_${(service === 'retrieval' ? 'ingestion' : service).replaceAll('-', '_')}`,
      ...Object.fromEntries(Object.entries(own).map(([name, value]) => [name, String(value)])),
    });

    const kafkaClient = new Kafka({
      clientId: 'e2e-upstream',
      brokers: endpoints.kafka.brokers,
      logLevel: logLevel.NOTHING,
    });
    // As the chart's hook Job does before a rollout: every topic exists before anyone subscribes.
    const admin = kafkaClient.admin();
    await admin.connect();
    await admin.createTopics({
      topics: topicNames.flatMap((topic) => [topic, `${topic}.dlq`]).map((topic) => ({ topic, numPartitions: 3 })),
    });
    // This run's ingestion consumes in its own group from the topic's end: a shared broker keeps
    // what earlier runs and benchmarks published, which this run must not wait behind. (Explicit
    // offsets: resetOffsets(latest) stores -1, which kafkajs reads as "start from the beginning".)
    // On a fresh broker the partitions just created may not have a leader yet: retried until they do.
    await waitFor(
      'the ingest topic to have partition leaders',
      async () => {
        try {
          const ends = await admin.fetchTopicOffsets('keel.ingest.requested.v1');
          await admin.setOffsets({
            groupId: ingestionGroup,
            topic: 'keel.ingest.requested.v1',
            partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
          });
          return true;
        } catch {
          return undefined; // no leader or group coordinator yet
        }
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // Likewise every group that works on new events: on a long-lived broker, earlier runs and
    // benchmarks leave thousands of completions behind, which a group reading from its last commit
    // (or, new, from the beginning) would have to score before this run's. The groups that rebuild
    // state (the gateway's policy snapshots) are not listed: they must read everything.
    // Each setOffsets joins and leaves the group (seconds): the groups are placed in parallel.
    await Promise.all(
      serviceWorkGroups.map(([groupId, topic]) =>
        waitFor(
          `${groupId} placed at the end of ${topic}`,
          async () => {
            try {
              const ends = await admin.fetchTopicOffsets(topic);
              await admin.setOffsets({
                groupId,
                topic,
                partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
              });
              return true;
            } catch {
              return undefined; // no leader or group coordinator yet
            }
          },
          { timeoutMs: 30_000, intervalMs: 250 },
        ),
      ),
    );
    await admin.disconnect();
    producer = kafkaClient.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    consumer = kafkaClient.consumer({ groupId: `e2e-observer-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'keel.document.indexed.v1', fromBeginning: false });
    await consumer.subscribe({ topic: 'keel.inference.completed.v1', fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === 'keel.inference.completed.v1') {
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          );
          try {
            completedEvents.push(decodeEvent(topic, { value: message.value ?? new Uint8Array(), headers }).payload);
          } catch {
            // Other runs' and other producers' events: this observer reads only what it can decode.
          }
          return;
        }
        // Indexed events are protobuf; the document id is found in the partition key.
        const key = message.key?.toString() ?? '';
        indexedEvents.push({
          documentId: key.split(':').slice(1).join(':'),
          traceparent: message.headers?.traceparent?.toString(),
        });
      },
    });

    const policy = startServiceProcess('policy', {
      ...envFor('policy', { GRPC_PORT: policyGrpc, HTTP_PORT: policyHttp }),
      POLICY_SEED_FILE: policySeeds,
    });
    const retrieval = startServiceProcess(
      'retrieval',
      envFor('retrieval', { GRPC_PORT: retrievalGrpc, HTTP_PORT: retrievalHttp }),
    );
    services.push(policy, retrieval);
    await Promise.all([
      waitUntilReady(policy, `http://127.0.0.1:${policyHttp}/readyz`),
      waitUntilReady(retrieval, `http://127.0.0.1:${retrievalHttp}/readyz`),
    ]);
    const rest = [
      startServiceProcess('ingestion', {
        ...envFor('ingestion', { HTTP_PORT: ingestion }),
        INGEST_CONSUMER_GROUP: ingestionGroup,
      }),
      startServiceProcess('inference-gateway', {
        ...envFor('inference-gateway', { HTTP_PORT: gateway }),
        OPENAI_BASE_URL: `${upstream.url}/v1`,
        OPENAI_API_KEY: 'x',
        KEEL_GATEWAY_CONFIG: routingFile,
        KEEL_TENANT_BUDGET: '5/day',
      }),
      startServiceProcess('evaluation', envFor('evaluation', { HTTP_PORT: evaluation })),
      startServiceProcess('human-review', {
        ...envFor('human-review', { HTTP_PORT: review }),
        // The lineage behind the console's link: evaluation, asked with each tenant's own key.
        EVALUATION_URL: `http://127.0.0.1:${evaluation}`,
        EVALUATION_API_KEYS: `${tenant}=${apiKey},${reviewTenant}=${reviewKey}`,
        KEEL_ADMIN_API_KEY: reviewAdminKey,
      }),
    ];
    services.push(...rest);
    const readinessPorts = [ingestion, gateway, evaluation, review];
    await Promise.all(
      rest.map((service, i) => waitUntilReady(service, `http://127.0.0.1:${readinessPorts[i] ?? 0}/readyz`)),
    );
    Object.assign(urls, {
      gateway: `http://127.0.0.1:${gateway}`,
      evaluation: `http://127.0.0.1:${evaluation}`,
      review: `http://127.0.0.1:${review}`,
      ingestion: `http://127.0.0.1:${ingestion}`,
      policy: `http://127.0.0.1:${policyHttp}`,
    });
  }, 240_000);

  // A failing test shows what each service said: the processes are otherwise invisible.
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const service of services) {
      process.stderr.write(`\n--- ${service.name} (last lines) ---\n${service.output.slice(-25).join('\n')}\n`);
    }
    const calls = upstream?.requests
      .slice(-10)
      .map((request) => `${request.method} ${request.path} ${JSON.stringify(request.body)}`);
    process.stderr.write(`\n--- fake model upstream (last requests) ---\n${(calls ?? []).join('\n')}\n`);
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    const codes = await Promise.all(services.map((service) => stopServiceProcess(service)));
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
    // Every service drains and exits cleanly on SIGTERM.
    expect(codes.filter((code) => code !== 0)).toEqual([]);
  }, 60_000);

  const headers = (extra: Record<string, string> = {}, key = apiKey) => ({
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    ...extra,
  });

  it('indexes an upstream event and answers from it, with one trace id per path', async () => {
    const documentId = `e2e-${runId}-lighthouse`;
    const ingestTrace = newTraceparent();
    await producer.send({
      topic: 'keel.ingest.requested.v1',
      messages: [
        {
          key: `${tenant}:${documentId}`,
          value: JSON.stringify({
            tenantId: tenant,
            documentId,
            title: 'Lighthouse maintenance',
            source: 'upstream://e2e',
            contentType: 'text/markdown',
            text: '# Lighthouse maintenance\n\nThe Skerry lighthouse lamp is cleaned every Tuesday by the keeper. The fog horn is tested on the first day of each month.',
          }),
          headers: { 'content-type': 'application/json', traceparent: ingestTrace },
        },
      ],
    });

    const indexed = await waitFor(
      'the document.indexed event',
      () => indexedEvents.find((event) => event.documentId === documentId),
      { timeoutMs: 30_000 },
    );
    expect(traceIdOf(indexed.traceparent)).toBe(traceIdOf(ingestTrace));

    const answerTrace = newTraceparent();
    const answer = await waitFor(
      'an answer citing the new document',
      async () => {
        const response = await fetch(`${urls.gateway}/v1/answers`, {
          method: 'POST',
          headers: headers({ traceparent: answerTrace }),
          body: JSON.stringify({ question: 'When is the Skerry lighthouse lamp cleaned?' }),
        });
        if (response.status !== 200) throw new Error(`answers: ${response.status} ${await response.text()}`);
        const body = (await response.json()) as { id: string; answer: string; citations: { documentId: string }[] };
        return body.citations.some((citation) => citation.documentId === documentId) ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(answer.answer).toMatch(/Tuesday/);

    const evaluation = await waitFor(
      'the evaluation of the answer',
      async () => {
        const response = await fetch(`${urls.evaluation}/v1/evaluations/${answer.id}`, { headers: headers() });
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(evaluation.traceId).toBe(traceIdOf(answerTrace));
    expect(JSON.stringify(evaluation)).toMatch(/groundedness/);

    // The answer explained in one place, from the events of four topics across the processes.
    const lineage = await waitFor(
      'the lineage of the answer with its policy decisions and evaluation',
      async () => {
        const response = await fetch(`${urls.evaluation}/v1/lineage/answers/${answer.id}`, { headers: headers() });
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as {
          question: string;
          answer: string;
          traceIds: string[];
          citations: { documentId: string }[];
          policyDecisions: { stage: string; policyVersion: string }[];
          evaluation: { evaluatorVersion: string } | null;
          received: string[];
        };
        const stages = new Set(body.policyDecisions.filter((d) => d.policyVersion).map((d) => d.stage));
        return body.evaluation && stages.has('input') && stages.has('output') ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(lineage.question).toMatch(/Skerry lighthouse/);
    expect(lineage.answer).toBe(answer.answer);
    expect(lineage.citations.map((citation) => citation.documentId)).toContain(documentId);
    expect(lineage.traceIds).toContain(traceIdOf(answerTrace));
  });

  it('indexes every plain upstream event without Keel headers, and an update as a new version', async () => {
    const send = (documentId: string, text: string) =>
      producer.send({
        topic: 'keel.ingest.requested.v1',
        messages: [
          {
            value: JSON.stringify({ tenantId: tenant, documentId, title: documentId, text }),
            headers: { 'content-type': 'application/json' },
          },
        ],
      });
    const ids = ['one', 'two', 'three'].map((name) => `e2e-${runId}-plain-${name}`);
    for (const [index, documentId] of ids.entries()) {
      await send(documentId, `Plain upstream note ${index}: the ferry to island ${index} leaves at noon.`);
    }
    for (const documentId of ids) {
      await waitFor('the indexed event', () => indexedEvents.find((event) => event.documentId === documentId), {
        timeoutMs: 30_000,
      });
    }
    await send(ids[0] ?? '', 'Plain upstream note 0, updated: the ferry to island 0 now leaves at one.');
    await waitFor(
      'the update indexed as a second event',
      () => (indexedEvents.filter((event) => event.documentId === ids[0]).length >= 2 ? true : undefined),
      { timeoutMs: 30_000 },
    );
  });

  it('keeps answers derived from a restricted document from keys outside its group', async () => {
    const documentId = `e2e-${runId}-salaries`;
    await producer.send({
      topic: 'keel.ingest.requested.v1',
      messages: [
        {
          value: JSON.stringify({
            tenantId: tenant,
            documentId,
            title: 'Settlement terms',
            aclGroups: ['legal'],
            text: 'The Brightwater settlement pays the claimant forty thousand euros in March.',
          }),
          headers: { 'content-type': 'application/json' },
        },
      ],
    });
    await waitFor('the restricted document', () => indexedEvents.find((event) => event.documentId === documentId), {
      timeoutMs: 30_000,
    });
    const answer = await waitFor(
      'an answer citing the restricted document',
      async () => {
        const response = await fetch(`${urls.gateway}/v1/answers`, {
          method: 'POST',
          headers: headers(),
          body: JSON.stringify({ question: 'What does the Brightwater settlement pay?' }),
        });
        const body = (await response.json()) as { id: string; citations: { documentId: string }[] };
        return body.citations.some((citation) => citation.documentId === documentId) ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    await waitFor(
      'the evaluation, for the legal key',
      async () => {
        const response = await fetch(`${urls.evaluation}/v1/evaluations/${answer.id}`, { headers: headers() });
        return response.status === 200 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const outsider = await fetch(`${urls.evaluation}/v1/evaluations/${answer.id}`, {
      headers: headers({}, outsiderKey),
    });
    expect(outsider.status).toBe(404);
    const listed = await fetch(`${urls.evaluation}/v1/evaluations?limit=100`, { headers: headers({}, outsiderKey) });
    expect(JSON.stringify(await listed.json())).not.toContain('Brightwater');
    const outsiderAnswer = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers: headers({}, outsiderKey),
      body: JSON.stringify({ question: 'What does the Brightwater settlement pay?' }),
    });
    expect(JSON.stringify(await outsiderAnswer.json())).not.toContain('forty thousand');

    // Applications search the same index through the gateway: the key's groups decide what comes back.
    const search = async (key = apiKey) => {
      const response = await fetch(`${urls.gateway}/v1/search`, {
        method: 'POST',
        headers: headers({}, key),
        body: JSON.stringify({ query: 'Brightwater settlement', topK: 5 }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { hits: { documentId: string; snippet: { html: string } }[] };
    };
    const hit = (await search()).hits.find((found) => found.documentId === documentId);
    expect(hit?.snippet.html).toContain('<mark>Brightwater</mark>');
    expect(JSON.stringify(await search(outsiderKey))).not.toContain('Brightwater');
  });

  it('queues a low-scored answer for review, carrying its trace id', async () => {
    // An upstream gateway (any producer of the topic) reports an answer its model made up.
    const requestId = `e2e-${runId}-fabricated`;
    const trace = newTraceparent();
    await producer.send({
      topic: 'keel.inference.completed.v1',
      messages: [
        {
          key: `${tenant}:${requestId}`,
          value: JSON.stringify({
            requestId,
            traceId: traceIdOf(trace),
            tenantId: tenant,
            endpoint: '/v1/answers',
            model: 'upstream-model',
            question: 'When is the Skerry lighthouse lamp cleaned?',
            answer: 'The lamp is replaced with a laser every winter solstice by volunteers [1].',
            contexts: [
              {
                chunkId: 'c1',
                documentId: 'd1',
                text: 'The Skerry lighthouse lamp is cleaned every Tuesday by the keeper.',
              },
            ],
            citations: [{ documentId: 'd1', chunkId: 'c1', title: 'Lighthouse maintenance' }],
          }),
          headers: { 'content-type': 'application/json', traceparent: trace },
        },
      ],
    });
    const item = await waitFor(
      'the review item of the fabricated answer',
      async () => {
        const response = await fetch(`${urls.review}/v1/reviews?status=pending&limit=100`, { headers: headers() });
        const page = (await response.json()) as { items: { requestId: string; traceId: string; reason: string }[] };
        return page.items.find((candidate) => candidate.requestId === requestId);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(item.traceId).toBe(traceIdOf(trace));
    expect(item.reason).toMatch(/low/i);
  });

  it('escalates a question on an escalation topic to the review queue with the caller trace id', async () => {
    const trace = newTraceparent();
    const response = await fetch(`${urls.gateway}/v1/answers`, {
      method: 'POST',
      headers: headers({ traceparent: trace }),
      body: JSON.stringify({ question: 'My lawyer asks how refunds work for a broken robot?' }),
    });
    expect(response.status).toBe(200);
    const { id } = (await response.json()) as { id: string };
    const item = await waitFor(
      'the escalation in the review queue',
      async () => {
        const list = await fetch(`${urls.review}/v1/reviews?status=pending&limit=100`, { headers: headers() });
        const page = (await list.json()) as { items: { requestId: string; traceId: string; reason: string }[] };
        return page.items.find((candidate) => candidate.requestId === id);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(item.traceId).toBe(traceIdOf(trace));
    expect(item.reason).toMatch(/policy|escalation/i);
  });

  it('works an escalated answer through review: sign-in, claim next, context, correction, decided event, golden example, lineage', async () => {
    const reviewHeaders = headers({}, reviewKey);
    // A reviewer with a console account: created by the admin key, signed in with a session cookie.
    const username = `e2e-reviewer-${runId}`;
    const password = randomBytes(12).toString('hex');
    const created = await fetch(`${urls.review}/v1/accounts?tenant=${reviewTenant}`, {
      method: 'POST',
      headers: headers({}, reviewAdminKey),
      body: JSON.stringify({ username, displayName: 'E2E Reviewer', password, roles: ['reviewer'] }),
    });
    expect(created.status).toBe(201);
    const signedIn = await fetch(`${urls.review}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(signedIn.status).toBe(200);
    const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
    const cookie = signedIn.headers
      .getSetCookie()
      .map((value) => value.split(';')[0])
      .join('; ');
    expect(cookie).toMatch(/^keel_review_session=/);
    const reviewer = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${urls.review}${path}`, {
        method: init.method ?? 'GET',
        headers: {
          cookie,
          'content-type': 'application/json',
          ...(init.method && init.method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    // The decision as any consumer sees it on Kafka (from the beginning: no race with the group join).
    const decided: ReviewDecided[] = [];
    const watcher = new Kafka({
      clientId: 'e2e-review-watcher',
      brokers: endpoints.kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId: `e2e-review-watcher-${runId}` });
    await watcher.connect();
    try {
      await watcher.subscribe({ topic: 'keel.review.decided.v1', fromBeginning: true });
      await watcher.run({
        eachMessage: async ({ message }) => {
          const eventHeaders = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          );
          try {
            decided.push(
              decodeEvent('keel.review.decided.v1', {
                value: message.value ?? new Uint8Array(),
                headers: eventHeaders,
              }).payload,
            );
          } catch {
            // Other producers' events: only what decodes counts.
          }
        },
      });

      // A customer's question on an escalation topic, through the gateway: policy escalates it.
      const asked = await fetch(`${urls.gateway}/v1/answers`, {
        method: 'POST',
        headers: reviewHeaders,
        body: JSON.stringify({ question: 'My lawyer wants to know: when is the Skerry lighthouse lamp cleaned?' }),
      });
      expect(asked.status).toBe(200);
      const { id: requestId } = (await asked.json()) as { id: string };
      // Whole: the gateway's completion fills in the answer the input escalation lacked.
      const queued = await waitFor(
        'the escalated answer in the review queue, whole',
        async () => {
          const list = await reviewer('/v1/reviews?limit=100');
          const page = (await list.json()) as { items: { id: string; requestId: string; missing: string[] }[] };
          const found = page.items.find((candidate) => candidate.requestId === requestId);
          return found && found.missing.length === 0 ? found : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );

      // "Claim next" across the queues: the tenant's only item.
      const claimed = await reviewer('/v1/reviews:claim-next', { method: 'POST', body: {} });
      expect(claimed.status).toBe(200);
      const item = (await claimed.json()) as { id: string; question: string; answer: string; claimedBy: string };
      expect(item).toMatchObject({ id: queued.id, claimedBy: 'E2E Reviewer' });

      // Beside the item: what policy and evaluation said of the answer, from their events on Kafka.
      const context = await waitFor(
        'the item context',
        async () => {
          const response = await reviewer(`/v1/reviews/${item.id}/context`);
          const body = (await response.json()) as {
            scores: { name: string }[];
            findings: { stage: string; type: string; action: string }[];
            policyVersion: string | null;
          };
          return body.scores.length > 0 && body.findings.length > 0 ? body : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(context.scores.map((score) => score.name)).toContain('groundedness');
      expect(context.findings).toContainEqual(
        expect.objectContaining({ stage: 'input', type: 'topic.escalate', action: 'escalate' }),
      );
      expect(context.policyVersion).toMatch(new RegExp(`^${reviewTenant}@v\\d+$`));

      const correctedAnswer = 'The keeper cleans the Skerry lighthouse lamp every Tuesday.';
      const decision = await reviewer(`/v1/reviews/${item.id}/decision`, {
        method: 'POST',
        body: { outcome: 'corrected', correctedAnswer, comment: 'declined a documented fact' },
      });
      expect(decision.status).toBe(200);

      const event = await waitFor('keel.review.decided.v1 on Kafka', () =>
        decided.find((candidate) => candidate.reviewId === item.id),
      );
      expect(event).toMatchObject({
        tenantId: reviewTenant,
        requestId,
        outcome: ReviewOutcome.REVIEW_OUTCOME_CORRECTED,
        reviewer: 'E2E Reviewer',
        correctedAnswer,
        question: item.question,
        originalAnswer: item.answer,
      });

      // Evaluation turns the decision into a golden example...
      const example = await waitFor(
        'the golden example',
        async () => {
          const response = await fetch(
            `${urls.evaluation}/v1/datasets/reviewed-answers/examples?limit=100&includeIncomplete=true`,
            { headers: reviewHeaders },
          );
          const page = (await response.json()) as { items: { id: string; label: string; answer: string }[] };
          return page.items.find((candidate) => candidate.id === item.id);
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(example).toMatchObject({ label: 'corrected', answer: correctedAnswer });
      // ...and the answer's lineage, read through human-review's proxy, ends with the reviewer's decision.
      const lineage = await waitFor(
        'the decision in the lineage',
        async () => {
          const response = await reviewer(`/v1/reviews/${item.id}/lineage`);
          if (response.status !== 200) return undefined;
          const body = (await response.json()) as {
            question: string;
            reviews: { outcome: string; reviewer: string }[];
            policyDecisions: { stage: string; decision: string }[];
          };
          return body.reviews.length > 0 ? body : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(lineage.reviews).toEqual([expect.objectContaining({ outcome: 'corrected', reviewer: 'E2E Reviewer' })]);
      expect(lineage.policyDecisions).toContainEqual(expect.objectContaining({ stage: 'input', decision: 'ESCALATE' }));
    } finally {
      await watcher.disconnect();
    }
  });

  // ---- a provider model through the gateway: money, retries, guardrails ----

  const openai = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${urls.gateway}/v1`, maxRetries: 0, timeout: 20_000 });
  const completedEvent = (requestId: string) =>
    waitFor('the completion event on Kafka', () => completedEvents.find((event) => event.requestId === requestId), {
      timeoutMs: 20_000,
    });
  const upstreamCallsWith = (marker: string) =>
    upstream.requests.filter(
      (request) => request.path === '/v1/chat/completions' && JSON.stringify(request.body).includes(marker),
    );

  it('serves a provider model, prices it, meters it in the ledger and reports it on Kafka', async () => {
    const client = openai(caseKeys.money);
    const marker = `money-${runId}`;
    const { data: completion, response } = await client.chat.completions
      .create({ model: fakeModel, messages: [{ role: 'user', content: `Say hello (${marker}).` }] })
      .withResponse();
    expect(completion.choices[0]?.message.content).toBe(`Hello from ${fakeModel}.`);
    const [amount, currency] = (response.headers.get('x-keel-cost') ?? '').split(' ');
    expect(currency).toBe('USD');
    expect(Number(amount)).toBeCloseTo(fakeModelCost, 9);
    expect(upstreamCallsWith(marker)).toHaveLength(1);

    const stream = await client.chat.completions.create({
      model: fakeModel,
      messages: [{ role: 'user', content: `Stream a hello (${marker}).` }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let streamId = '';
    let streamCost: { amount: number; currency: string; priced: boolean } | undefined;
    for await (const chunk of stream) {
      streamId = chunk.id;
      streamed += chunk.choices[0]?.delta.content ?? '';
      const keel = (chunk as unknown as { keel?: { cost?: typeof streamCost } }).keel;
      if (keel?.cost) streamCost = keel.cost;
    }
    expect(streamed).toBe(`Hello from ${fakeModel}.`);
    expect(streamCost?.currency).toBe('USD');
    expect(streamCost?.priced).toBe(true);
    expect(streamCost?.amount).toBeCloseTo(fakeModelCost, 9);

    for (const [id, wasStreamed] of [
      [completion.id, false],
      [streamId, true],
    ] as const) {
      const event = await completedEvent(id);
      expect(event).toMatchObject({
        tenantId: tenantOf('money'),
        endpoint: '/v1/chat/completions',
        model: fakeModel,
        provider: 'openai',
        attempts: 1,
        currency: 'USD',
        priced: true,
        streamed: wasStreamed,
      });
      expect(event.cost).toBeCloseTo(fakeModelCost, 9);
      expect(event.usage?.promptTokens).toBe(12);
    }

    // The ledger lives in the gateway's MongoDB database and is written after each response.
    const usage = await waitFor(
      'both requests in the usage ledger',
      async () => {
        const answer = await fetch(`${urls.gateway}/v1/usage?groupBy=model`, { headers: headers({}, caseKeys.money) });
        if (answer.status !== 200) throw new Error(`usage: ${answer.status} ${await answer.text()}`);
        const body = (await answer.json()) as {
          tenantId: string;
          currency: string;
          totals: { requests: number; cost: number; promptTokens: number };
          groups: { key: string; requests: number }[];
        };
        return body.totals.requests >= 2 ? body : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(usage.tenantId).toBe(tenantOf('money'));
    expect(usage.totals.requests).toBe(2);
    expect(usage.totals.cost).toBeCloseTo(2 * fakeModelCost, 9);
    expect(usage.groups.map((group) => group.key)).toEqual([fakeModel]);
  });

  it('retries a provider 5xx and records every attempt', async () => {
    const marker = `retry-${runId}`;
    upstream.enqueue(serverError(503));
    const completion = await openai(caseKeys.retry).chat.completions.create({
      model: fakeModel,
      messages: [{ role: 'user', content: `Hello after a failure (${marker}).` }],
    });
    expect(completion.choices[0]?.message.content).toBe(`Hello from ${fakeModel}.`);
    expect((completion as unknown as { keel: { attempts: number } }).keel.attempts).toBe(2);
    expect(upstreamCallsWith(marker)).toHaveLength(2);
    const event = await completedEvent(completion.id);
    expect(event).toMatchObject({ tenantId: tenantOf('retry'), provider: 'openai', model: fakeModel, attempts: 2 });
    expect(event.errorCode).toBeUndefined();
  });

  it('redacts an e-mail address in the input before it reaches the provider', async () => {
    const marker = `redact-${runId}`;
    const email = `jane.${runId}@example.com`;
    const completion = await openai(apiKey).chat.completions.create({
      model: fakeModel,
      messages: [{ role: 'user', content: `Write to ${email} about the lamp rota (${marker}).` }],
    });
    expect(completion.choices[0]?.message.content).toBe(`Hello from ${fakeModel}.`);
    const [sent] = upstreamCallsWith(marker);
    const sentText = JSON.stringify(sent?.body?.messages);
    expect(sentText).not.toContain(email);
    expect(sentText).toContain('about the lamp rota');
    const findings = (completion as unknown as { keel: { input_findings?: { type: string }[] } }).keel.input_findings;
    expect(findings?.map((finding) => finding.type)).toContain('pii.email');
  });

  it('applies a policy uploaded to the policy service over Kafka, without a restart', async () => {
    const client = openai(caseKeys.policy);
    const ask = () =>
      client.chat.completions.create({
        model: fakeModel,
        messages: [{ role: 'user', content: 'Where is the tidal observatory of Skerry?' }],
      });
    // Allowed under the default policy...
    expect((await ask()).choices[0]?.message.content).toBe(`Hello from ${fakeModel}.`);
    const upload = await fetch(`${urls.policy}/v1/policies`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${caseKeys.policy}`, 'content-type': 'application/yaml' },
      body: [
        'description: no talk of the observatory',
        'rules:',
        '  - id: observatory',
        '    detector: topic',
        '    topic: observatory',
        '    phrases: [tidal observatory]',
        '    action: block',
        '',
      ].join('\n'),
    });
    expect(upload.status, await upload.clone().text()).toBe(201);
    expect(((await upload.json()) as { tenantId: string }).tenantId).toBe(tenantOf('policy'));
    // ...blocked once keel.policy.changed.v1 has reached the gateway's in-process policy.
    const refusal = await waitFor(
      'the gateway to block the newly forbidden topic',
      async () => {
        try {
          await ask();
          return undefined;
        } catch (error) {
          if (error instanceof OpenAI.APIError && error.status === 400) return error;
          throw error;
        }
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(refusal.code).toBe('content_policy_violation');
    expect(refusal.message).toMatch(/observatory/);
  });

  // ---- the data plane: a file upload, its lineage, and search with metadata filters ----

  it('indexes an uploaded PDF with its pages, and filters search on a numeric metadata range', async () => {
    const key = caseKeys.data;
    const pdfId = `e2e-${runId}-rotated-pdf`;
    const textId = `e2e-${runId}-old-note`;
    const form = new FormData();
    form.append('file', new Blob([readFileSync(pdfFixture)]), 'hello_world_rotated.pdf');
    form.append('documentId', pdfId);
    form.append('title', 'Rotated greetings');
    form.append('metadata', JSON.stringify({ year: '2021' }));
    const uploaded = await fetch(`${urls.ingestion}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(202);
    const upload = (await uploaded.json()) as { jobId: string; documentId: string; contentType: string };
    expect(upload.contentType).toBe('application/pdf');
    const posted = await fetch(`${urls.ingestion}/v1/documents`, {
      method: 'POST',
      headers: headers({}, key),
      body: JSON.stringify({
        documentId: textId,
        title: 'Old greetings',
        text: 'Hello world, said the keeper in the old logbook.',
        metadata: { year: '2015' },
      }),
    });
    expect(posted.status, await posted.clone().text()).toBe(202);
    const text = (await posted.json()) as { jobId: string };

    for (const jobId of [upload.jobId, text.jobId]) {
      const job = await waitFor(
        `job ${jobId} to finish`,
        async () => {
          const answer = await fetch(`${urls.ingestion}/v1/jobs/${jobId}`, { headers: headers({}, key) });
          const body = (await answer.json()) as { status: string; reason?: string };
          return ['indexed', 'rejected', 'failed'].includes(body.status) ? body : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(job, JSON.stringify(job)).toMatchObject({ status: 'indexed' });
    }

    const lineage = await fetch(`${urls.ingestion}/v1/documents/${pdfId}/chunks`, { headers: headers({}, key) });
    expect(lineage.status).toBe(200);
    const { chunks } = (await lineage.json()) as {
      chunks: { jobId: string; parser: string; page?: number; pageEnd?: number }[];
    };
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks[0]).toMatchObject({ jobId: upload.jobId, parser: 'pdf-unpdf-v1', page: 1 });
    expect(chunks.at(-1)?.pageEnd).toBe(5);

    const search = async (filters: object) => {
      const answer = await fetch(`${urls.gateway}/v1/search`, {
        method: 'POST',
        headers: headers({}, key),
        body: JSON.stringify({ query: 'hello world', topK: 10, filters }),
      });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { hits: { documentId: string; page?: number; pageEnd?: number }[] }).hits;
    };
    const recent = await waitFor(
      'the PDF in search',
      async () => {
        const hits = await search({ year: { gte: 2020 } });
        return hits.some((hit) => hit.documentId === pdfId) ? hits : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(recent.find((hit) => hit.documentId === pdfId)?.page).toBe(1);
    expect(recent.map((hit) => hit.documentId)).not.toContain(textId);
    const older = await search({ year: { lt: 2020 } });
    expect(older.map((hit) => hit.documentId)).toContain(textId);
    expect(older.map((hit) => hit.documentId)).not.toContain(pdfId);
    expect(older.find((hit) => hit.documentId === textId)?.page).toBeUndefined();
  });
});

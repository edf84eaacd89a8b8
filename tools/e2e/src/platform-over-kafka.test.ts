/**
 * The six services as separate processes over real Kafka and a real MongoDB-protocol server:
 * a document published by a plain kafkajs producer becomes answerable through the gateway, the
 * answer is scored by evaluation, low-scored answers and policy escalations reach the review
 * queue, and the caller's trace id follows each path across processes and topics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicNames } from '@keel/contracts';
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
const newTraceparent = () => `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;

describeWithInfra('six services as processes over Kafka and the MongoDB protocol', infrastructure, (endpoints) => {
  const runId = randomUUID().slice(0, 8);
  // A tenant of its own per run: the vector collection outlives runs on the same Qdrant.
  const tenant = `e2e-${runId}`;
  // A reviewer in group `legal`, and a key of the same tenant in no group.
  const apiKey = `e2e-legal-${randomBytes(12).toString('hex')}`;
  const outsiderKey = `e2e-outsider-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'keel-e2e-'));
  const services: ServiceProcess[] = [];
  const urls: Record<string, string> = {};
  let producer: Producer;
  let consumer: Consumer;
  const indexedEvents: { documentId: string; traceparent?: string }[] = [];

  beforeAll(async () => {
    const gateway = await freePort();
    const ingestion = await freePort();
    const review = await freePort();
    const evaluation = await freePort();
    const retrievalGrpc = await freePort();
    const retrievalHttp = await freePort();
    const policyGrpc = await freePort();
    const policyHttp = await freePort();
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
      }),
    );
    const common: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
      MONGODB_URL: endpoints.mongo.url,
      // Real Qdrant when there is one (CI requires it where its binary is); else LanceDB in KEEL_DATA_DIR.
      ...(qdrant.available ? { QDRANT_URL: qdrant.endpoint.url } : {}),
      KEEL_DATA_DIR: dataDir,
      KEEL_API_KEYS: `${apiKey}=${tenant}:legal:e2e-reviewer,${outsiderKey}=${tenant}`,
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
      MONGODB_DATABASE: `keel_e2e_${runId}_${service.replaceAll('-', '_')}`,
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
    await admin.disconnect();
    producer = kafkaClient.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    consumer = kafkaClient.consumer({ groupId: `e2e-observer-${runId}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'keel.document.indexed.v1', fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
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
      startServiceProcess('ingestion', envFor('ingestion', { HTTP_PORT: ingestion })),
      startServiceProcess('inference-gateway', envFor('inference-gateway', { HTTP_PORT: gateway })),
      startServiceProcess('evaluation', envFor('evaluation', { HTTP_PORT: evaluation })),
      startServiceProcess('human-review', envFor('human-review', { HTTP_PORT: review })),
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
    });
  }, 240_000);

  // A failing test shows what each service said: the processes are otherwise invisible.
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const service of services) {
      process.stderr.write(`\n--- ${service.name} (last lines) ---\n${service.output.slice(-25).join('\n')}\n`);
    }
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    const codes = await Promise.all(services.map((service) => stopServiceProcess(service)));
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
});

import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { type Client, credentials, loadPackageDefinition, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoRoot, serviceProtoFiles } from '@keel/contracts';
import {
  RetrievalClient,
  RetrievalService,
  type SearchRequest,
  type SearchResponse,
} from '@keel/contracts/retrieval/v1';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorTrailer } from '../errors/grpc-status.js';
import { KeelError, validationError } from '../errors/keel-error.js';
import { Readiness } from '../health/readiness.js';
import { currentTraceId, withSpan } from '../telemetry/spans.js';
import { startTelemetry } from '../telemetry/start-telemetry.js';
import { testInternalAuth } from '../testing/test-internal-auth.js';
import { createTestLogger } from '../testing/test-logger.js';
import { startTestTelemetry } from '../testing/test-telemetry.js';
import { callUnary, createGrpcClient } from './grpc-client.js';
import { grpcHealthCheck } from './health-check.js';
import { type RunningGrpcServer, startGrpcServer } from './start-grpc-server.js';
import { type GrpcCallContext, unaryHandler } from './unary-handler.js';

const telemetry = startTelemetry({ serviceName: 'grpc-test' });
const recorder = startTestTelemetry();
const { logger, lines } = createTestLogger('retrieval');
const identity = { auth: testInternalAuth, callerName: 'grpc-test' };

let storeUp = true;
const readiness = new Readiness();
readiness.register('vectors', async () => ({ ok: storeUp, detail: storeUp ? 'ok' : 'down' }));

interface SeenCall {
  request: SearchRequest;
  call: GrpcCallContext;
  traceId: string | undefined;
}
const seen: SeenCall[] = [];
const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** A fake retrieval service whose behaviour the query selects. */
async function search(request: SearchRequest, call: GrpcCallContext): Promise<SearchResponse> {
  seen.push({ request, call, traceId: currentTraceId() });
  if (request.query === 'slow') await sleep(1000);
  if (request.query === '') throw validationError([{ field: 'query', message: 'must not be empty' }]);
  if (request.query === 'bug') throw new Error('connection string mongodb://admin:hunter2@db');
  return {
    chunks: [
      {
        chunkId: 'c1',
        documentId: 'd1',
        documentVersion: 'v1',
        title: 'Handbook',
        source: 'intranet',
        text: `about ${request.query}`,
        startOffset: 0,
        endOffset: 10,
        score: 0.5,
        denseRank: 1,
        keywordRank: 2,
        aclGroups: [],
      },
    ],
    embedder: 'fake',
  };
}

const baseRequest: SearchRequest = {
  tenantId: 'acme',
  query: 'leave policy',
  topK: 5,
  aclGroups: [],
  mode: 0,
  filters: {},
};

let server: RunningGrpcServer;
let client: InstanceType<typeof RetrievalClient>;
beforeAll(async () => {
  server = await startGrpcServer({
    port: 0,
    host: '127.0.0.1',
    services: [{ definition: RetrievalService, implementation: { search: unaryHandler(logger, search) } }],
    logger,
    readiness,
    reflection: { protoRoot, files: serviceProtoFiles },
    healthPollIntervalMs: 50,
    auth: testInternalAuth,
  });
  client = createGrpcClient(RetrievalClient, server.address, identity);
});

afterAll(async () => {
  client.close();
  await server.close();
  recorder.stop();
  await telemetry.shutdown();
});

function searchVia(request: SearchRequest, options: { deadlineMs?: number; tenantId?: string } = {}) {
  return callUnary(client.search.bind(client), request, {
    deadlineMs: options.deadlineMs ?? 2000,
    dependency: 'retrieval',
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe('gRPC server and client helpers', () => {
  it('delivers the tenant and the trace context to the handler and links the spans', async () => {
    seen.length = 0;
    let callerTraceId: string | undefined;
    const response = await withSpan('answer question', {}, async () => {
      callerTraceId = currentTraceId();
      return searchVia(baseRequest, { tenantId: 'acme' });
    });
    expect(response.chunks[0]?.text).toBe('about leave policy');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.call.tenantId).toBe('acme');
    expect(seen[0]?.traceId).toBe(callerTraceId);
    const deadline = seen[0]?.call.deadline?.getTime() ?? 0;
    expect(deadline - Date.now()).toBeGreaterThan(1000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(2000);

    const searchSpan = (kind: SpanKind) => (span: ReadableSpan) =>
      span.name === 'keel.retrieval.v1.Retrieval/Search' &&
      span.kind === kind &&
      span.spanContext().traceId === callerTraceId;
    const serverSpan = await recorder.waitForSpan(searchSpan(SpanKind.SERVER));
    const clientSpan = await recorder.waitForSpan(searchSpan(SpanKind.CLIENT));
    expect(clientSpan.attributes).toMatchObject({
      'rpc.method': 'keel.retrieval.v1.Retrieval/Search',
      'rpc.status_code': 'OK',
    });
    expect(serverSpan.spanContext().traceId).toBe(callerTraceId);
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.attributes).toMatchObject({
      'rpc.system.name': 'grpc',
      'rpc.status_code': 'OK',
      'keel.tenant_id': 'acme',
    });
  });

  it('enforces the deadline and reports it as a retryable dependency failure', async () => {
    seen.length = 0;
    const startedAt = Date.now();
    const error = await rejectionOf(searchVia({ ...baseRequest, query: 'slow' }, { deadlineMs: 100 }));
    expect(Date.now() - startedAt).toBeLessThan(800);
    expect(error).toMatchObject({
      code: 'DEPENDENCY.TIMEOUT',
      retryable: true,
      httpStatus: 503,
      dependency: 'retrieval',
    });
    expect(error.message).toBe('retrieval unavailable: no answer within the 100 ms deadline');
    // The server learns that nobody waits any more.
    await sleep(50);
    expect(seen[0]?.call.signal.aborted).toBe(true);
  });

  it('sends a thrown validationError as INVALID_ARGUMENT and rebuilds it on the client', async () => {
    const raw = await new Promise<ServiceError>((resolveError) => {
      client.search({ ...baseRequest, query: '' }, new Metadata(), { deadline: Date.now() + 2000 }, (error) => {
        if (error) resolveError(error);
      });
    });
    expect(raw.code).toBe(status.INVALID_ARGUMENT);
    expect(raw.details).toBe('query: must not be empty');
    expect(raw.metadata.get(ErrorTrailer.code)).toEqual(['REQUEST.INVALID']);

    const error = await rejectionOf(searchVia({ ...baseRequest, query: '' }));
    expect(error).toMatchObject({ httpStatus: 400, code: 'REQUEST.INVALID', retryable: false });
    expect(error.violations).toEqual([{ field: 'query', message: 'must not be empty' }]);
  });

  it('answers an unexpected error with INTERNAL, logging it but not leaking it', async () => {
    const error = await rejectionOf(searchVia({ ...baseRequest, query: 'bug' }));
    expect(error).toMatchObject({ httpStatus: 502, code: 'INTERNAL' });
    expect(error.message).toBe('retrieval failed: internal error');
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(lines().filter((line) => line.msg === 'rpc failed'))).toContain('hunter2');
  });

  it('reports an unreachable server as a retryable dependency failure', async () => {
    const lonely = createGrpcClient(RetrievalClient, '127.0.0.1:1', identity);
    try {
      const error = await rejectionOf(
        callUnary(lonely.search.bind(lonely), baseRequest, { deadlineMs: 1500, dependency: 'retrieval' }),
      );
      expect(error).toMatchObject({ retryable: true, httpStatus: 503, dependency: 'retrieval' });
      expect(error.code).toMatch(/^DEPENDENCY\./);
    } finally {
      lonely.close();
    }
  });

  it('serves grpc.health.v1 following readiness, overall and per service', async () => {
    const overall = grpcHealthCheck(server.address, { auth: testInternalAuth });
    const retrieval = grpcHealthCheck(server.address, {
      auth: testInternalAuth,
      service: 'keel.retrieval.v1.Retrieval',
    });
    const unknown = grpcHealthCheck(server.address, { auth: testInternalAuth, service: 'keel.nothing.v1.Nothing' });
    try {
      expect(await overall()).toEqual({ ok: true, detail: `${server.address}: SERVING` });
      expect(await retrieval()).toEqual({ ok: true, detail: `${server.address}: SERVING` });
      expect((await unknown()).ok).toBe(false);

      storeUp = false;
      await expect
        .poll(() => overall(), { timeout: 2000, interval: 25 })
        .toEqual({
          ok: false,
          detail: `${server.address}: NOT_SERVING`,
        });
      expect((await retrieval()).detail).toContain('NOT_SERVING');
      storeUp = true;
      await expect.poll(async () => (await retrieval()).ok, { timeout: 2000, interval: 25 }).toBe(true);
    } finally {
      storeUp = true;
      overall.close();
      retrieval.close();
      unknown.close();
    }
  });

  it('says why a dependency’s health cannot be checked', async () => {
    const check = grpcHealthCheck('127.0.0.1:1', { auth: testInternalAuth, timeoutMs: 300 });
    try {
      const result = await check();
      expect(result.ok).toBe(false);
      expect(result.detail).toMatch(/^127\.0\.0\.1:1: /);
    } finally {
      check.close();
    }
  });

  it('lists the services through server reflection and serves their descriptors', async () => {
    const require = createRequire(import.meta.url);
    const reflectionProtos = resolve(dirname(require.resolve('@grpc/reflection')), '..', 'proto');
    const definition = loadSync('grpc/reflection/v1alpha/reflection.proto', {
      includeDirs: [reflectionProtos],
      keepCase: true,
      oneofs: true,
    });
    type ReflectionStream = {
      write(message: object): void;
      end(): void;
      on(event: 'data', listener: (message: Record<string, unknown>) => void): void;
      on(event: 'error', listener: (error: Error) => void): void;
    };
    const loaded = loadPackageDefinition(definition) as unknown as {
      grpc: {
        reflection: {
          v1alpha: {
            ServerReflection: new (
              address: string,
              creds: ReturnType<typeof credentials.createInsecure>,
            ) => Client & { ServerReflectionInfo(): ReflectionStream };
          };
        };
      };
    };
    const reflection = new loaded.grpc.reflection.v1alpha.ServerReflection(
      server.address,
      credentials.createInsecure(),
    );
    const ask = (request: object) =>
      new Promise<Record<string, unknown>>((resolveAnswer, reject) => {
        const stream = reflection.ServerReflectionInfo();
        stream.on('data', (answer) => {
          resolveAnswer(answer);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    try {
      const listed = (await ask({ list_services: '*' })) as { list_services_response: { service: { name: string }[] } };
      const names = listed.list_services_response.service.map((service) => service.name);
      expect(names).toEqual(expect.arrayContaining(['keel.retrieval.v1.Retrieval', 'grpc.health.v1.Health']));

      const file = (await ask({ file_containing_symbol: 'keel.retrieval.v1.Retrieval' })) as {
        file_descriptor_response?: { file_descriptor_proto: Buffer[] };
      };
      const descriptors = file.file_descriptor_response?.file_descriptor_proto ?? [];
      expect(descriptors.length).toBeGreaterThan(0);
      expect(Buffer.concat(descriptors).toString('latin1')).toContain('SearchRequest');
    } finally {
      reflection.close();
    }
  });
});

describe('gRPC server shutdown', () => {
  it('drains within the bound and forces the rest, even with a call in flight and a channel open', async () => {
    const slowServer = await startGrpcServer({
      port: 0,
      host: '127.0.0.1',
      services: [{ definition: RetrievalService, implementation: { search: unaryHandler(logger, search) } }],
      logger,
      drainTimeoutMs: 100,
      auth: testInternalAuth,
    });
    const slowClient = createGrpcClient(RetrievalClient, slowServer.address, identity);
    const health = grpcHealthCheck(slowServer.address, { auth: testInternalAuth, timeoutMs: 300 });
    try {
      expect((await health()).ok).toBe(true);
      const inFlight = callUnary(
        slowClient.search.bind(slowClient),
        { ...baseRequest, query: 'slow' },
        {
          deadlineMs: 5000,
          dependency: 'retrieval',
        },
      ).catch((error: unknown) => error);
      await sleep(50);
      const startedAt = Date.now();
      await slowServer.close();
      // The call needs another second; close forced it after the 100 ms drain.
      expect(Date.now() - startedAt).toBeLessThan(800);
      expect(await inFlight).toBeInstanceOf(KeelError);
      expect((await health()).ok).toBe(false);
    } finally {
      health.close();
      slowClient.close();
    }
  });
});

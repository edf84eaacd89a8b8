/**
 * RED metrics: every request is counted and timed per route and status, through the global meter
 * provider the service's telemetry installs (here a collecting reader stands in for the exporter).
 */
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness } from '../health/readiness.js';
import { createTestLogger } from '../testing/test-logger.js';
import { asyncRoute } from './async-route.js';
import { createHttpApp, finishHttpApp } from './create-http-app.js';
import { type RunningHttpServer, startHttpServer } from './start-http-server.js';

class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const reader = new CollectingReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

let server: RunningHttpServer;
beforeAll(async () => {
  const { logger } = createTestLogger('metrics-test');
  const app = createHttpApp({ serviceName: 'metrics-test', logger, readiness: new Readiness() });
  app.get(
    '/v1/items/:id',
    asyncRoute(async (req, res) => {
      res.status(req.params.id === 'missing' ? 404 : 200).json({ id: req.params.id });
    }),
  );
  finishHttpApp(app);
  server = await startHttpServer(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await server?.close();
  metrics.disable();
});

describe('http.server.request.duration', () => {
  it('records each request by route template and status', async () => {
    for (const id of ['a', 'b', 'missing']) await (await fetch(`${server.url}/v1/items/${id}`)).text();
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((candidate) => candidate.descriptor.name === 'http.server.request.duration');
    expect(metric?.descriptor.unit).toBe('s');
    const counts = Object.fromEntries(
      (metric?.dataPoints ?? []).map((point) => [
        `${point.attributes['http.route']} ${point.attributes['http.response.status_code']}`,
        (point.value as { count: number }).count,
      ]),
    );
    expect(counts).toMatchObject({ '/v1/items/:id 200': 2, '/v1/items/:id 404': 1 });
  });
});

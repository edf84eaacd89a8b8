import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composeRetrieval } from './compose.js';
import { loadRetrievalConfig } from './config.js';
import { startRetrievalService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'retrieval', serviceVersion: '0.1.0' });
const logger = createLogger('retrieval');

await runService({
  name: 'retrieval',
  logger,
  telemetry,
  start: async () => {
    const config = loadRetrievalConfig();
    const deps = await composeRetrieval(config, logger);
    const service = await startRetrievalService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

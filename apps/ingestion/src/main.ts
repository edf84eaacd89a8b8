import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composeIngestion } from './compose.js';
import { loadIngestionConfig } from './config.js';
import { startIngestionService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'ingestion', serviceVersion: '0.1.0' });
const logger = createLogger('ingestion');

await runService({
  name: 'ingestion',
  logger,
  telemetry,
  start: async () => {
    const config = loadIngestionConfig();
    const deps = await composeIngestion(config, logger);
    const service = await startIngestionService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

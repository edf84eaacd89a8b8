import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composeEvaluation } from './compose.js';
import { loadEvaluationConfig } from './config.js';
import { startEvaluationService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'evaluation', serviceVersion: '0.1.0' });
const logger = createLogger('evaluation');

await runService({
  name: 'evaluation',
  logger,
  telemetry,
  start: async () => {
    const config = loadEvaluationConfig();
    const deps = await composeEvaluation(config, logger);
    const service = await startEvaluationService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composeHumanReview } from './compose.js';
import { loadHumanReviewConfig } from './config.js';
import { startHumanReviewService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'human-review', serviceVersion: '0.1.0' });
const logger = createLogger('human-review');

await runService({
  name: 'human-review',
  logger,
  telemetry,
  start: async () => {
    const config = loadHumanReviewConfig();
    const deps = await composeHumanReview(config, logger);
    const service = await startHumanReviewService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

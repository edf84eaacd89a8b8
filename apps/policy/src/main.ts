import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composePolicy } from './compose.js';
import { loadPolicyConfig } from './config.js';
import { startPolicyService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'policy', serviceVersion: '0.1.0' });
const logger = createLogger('policy');

await runService({
  name: 'policy',
  logger,
  telemetry,
  start: async () => {
    const config = loadPolicyConfig();
    const deps = await composePolicy(config, logger);
    const service = await startPolicyService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

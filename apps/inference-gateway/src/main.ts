import { createLogger, runService, startTelemetry } from '@keel/platform';
import { composeGateway } from './compose.js';
import { loadGatewayConfig } from './config.js';
import { startGatewayService } from './service.js';

const telemetry = startTelemetry({ serviceName: 'inference-gateway', serviceVersion: '0.1.0' });
const logger = createLogger('inference-gateway');

await runService({
  name: 'inference-gateway',
  logger,
  telemetry,
  start: async () => {
    const config = loadGatewayConfig();
    const deps = await composeGateway(config, logger);
    const service = await startGatewayService(deps, config).catch(async (error: unknown) => {
      await deps.close();
      throw error;
    });
    return { urls: service.urls, stop: () => service.stop().finally(() => deps.close()) };
  },
});

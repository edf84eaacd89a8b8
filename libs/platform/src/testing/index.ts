export { createTestLogger, type LogLine, type TestLogger } from './test-logger.js';
export { startTestTelemetry, type TestTelemetry } from './test-telemetry.js';

export { testInternalAuth, testInternalAuthEnv, testInternalToken } from './test-internal-auth.js';
export { createTestLogger, type LogLine, type TestLogger } from './test-logger.js';
export { startTestTelemetry, type TestTelemetry } from './test-telemetry.js';

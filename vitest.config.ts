import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Component tests (.tsx) choose jsdom with a `// @vitest-environment jsdom` docblock.
    include: ['{apps,libs,tools,charts}/**/*.test.ts', '{apps,libs,tools,charts}/**/*.test.tsx'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    reporters: ['default', './tools/test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: more workers only contend; integration suites also share one Kafka.
    maxWorkers: 2,
    env: {
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    },
  },
});

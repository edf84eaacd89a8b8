import { createLogger, type Logger } from '../logging/create-logger.js';

export type LogLine = Record<string, unknown> & { level: string; msg?: string; service: string };

export interface TestLogger {
  logger: Logger;
  /** Every line written so far, parsed. */
  lines(): LogLine[];
  /** The lines whose message contains `text`. */
  find(text: string): LogLine[];
}

/** A real logger (same format, same trace fields) writing into memory at level `trace`. */
export function createTestLogger(service = 'test', level = 'trace'): TestLogger {
  const written: string[] = [];
  const logger = createLogger(service, {
    level,
    destination: {
      write(line: string) {
        written.push(line);
      },
    },
  });
  const lines = () => written.map((line) => JSON.parse(line) as LogLine);
  return {
    logger,
    lines,
    find: (text) => lines().filter((line) => typeof line.msg === 'string' && line.msg.includes(text)),
  };
}

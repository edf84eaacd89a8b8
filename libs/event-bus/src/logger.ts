/**
 * The slice of a pino-style logger the event bus writes to. `@keel/platform`'s `Logger` (pino)
 * satisfies it structurally, so the bus needs no dependency on the service kit.
 */
export interface EventBusLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

const ignore = (): void => {};

/** The default when no logger is given: libraries stay quiet unless asked to speak. */
export const silentLogger: EventBusLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

export { createEmbeddedEventBus, type EmbeddedEventBusOptions } from './embedded-event-bus.js';
export type { RetentionOptions } from './retention.js';
export { EventLogInUseError } from './sqlite-event-log.js';

export { createEmbeddedEventBus, type EmbeddedEventBusOptions } from './embedded-event-bus.js';

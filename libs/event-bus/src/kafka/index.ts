export { KafkaUnavailableError } from './kafka-errors.js';
export { createKafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.js';

export { describeEventBusContract, type EventBusContractOptions } from './event-bus-contract.js';
export { type RecordedEvents, recordEvents } from './record-events.js';
export { createRecordingPublisher, type PublishedEvent, type RecordingPublisher } from './recording-publisher.js';

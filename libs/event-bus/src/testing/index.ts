export { describeEventBusContract, type EventBusContractOptions } from './event-bus-contract.js';
export { createRecordingPublisher, type PublishedEvent, type RecordingPublisher } from './recording-publisher.js';

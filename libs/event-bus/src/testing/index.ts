export { describeEventBusContract, type EventBusContractOptions } from './event-bus-contract.js';

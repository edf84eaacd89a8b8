export {
  type CranfieldAvailability,
  type CranfieldCollection,
  findCranfieldDirectory,
  loadCranfield,
} from './cranfield.js';
export { meanNdcgAtK, ndcgAtK } from './ranking-metrics.js';

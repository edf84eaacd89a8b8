export {
  type BusAndStore,
  chooseBusAndStore,
  chooseDocumentStore,
  chooseEmbedder,
  chooseEventBus,
  chooseVectorIndex,
  type DocumentStoreChoice,
  type EmbedderChoice,
  type EventBusChoice,
  type VectorIndexChoice,
} from './choose-adapters.js';

export {
  type BusAndStore,
  chooseBusAndStore,
  chooseDocumentStore,
  chooseEmbedder,
  chooseEmbedderOf,
  chooseEventBus,
  chooseVectorIndex,
  type DocumentStoreChoice,
  type EmbedderChoice,
  type EventBusChoice,
  type VectorIndexChoice,
} from './choose-adapters.js';

/** Opens the collections of uploaded golden data sets (dataset-version.ts). */
import type { DocumentStore } from '@keel/doc-store';
import {
  DATASET_ROW_CHUNKS_COLLECTION,
  DATASET_VERSIONS_COLLECTION,
  DATASETS_COLLECTION,
  type DatasetRecord,
  type DatasetRowChunk,
  type DatasetVersionRecord,
  datasetRowChunksCollectionOptions,
  datasetsCollectionOptions,
  datasetVersionsCollectionOptions,
} from './dataset-version.js';
import type { DatasetStoreDeps } from './upload-dataset-version.js';

export async function datasetStoreOf(store: DocumentStore): Promise<DatasetStoreDeps> {
  return {
    datasets: await store.collection<DatasetRecord>(DATASETS_COLLECTION, datasetsCollectionOptions),
    versions: await store.collection<DatasetVersionRecord>(
      DATASET_VERSIONS_COLLECTION,
      datasetVersionsCollectionOptions,
    ),
    chunks: await store.collection<DatasetRowChunk>(DATASET_ROW_CHUNKS_COLLECTION, datasetRowChunksCollectionOptions),
  };
}

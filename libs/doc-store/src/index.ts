export {
  type Collection,
  type CollectionOptions,
  type DocumentStore,
  DuplicateKeyError,
  type FieldCondition,
  type Filter,
  type FindOptions,
  type IndexSpec,
  InvalidQueryError,
  type JsonValue,
  type Page,
  type Sort,
  type StoredDocument,
  StoreUnavailableError,
} from './document-store.js';
export { findPage } from './paging/find-page.js';
export { findVisiblePage, type VisiblePageOptions } from './paging/find-visible-page.js';

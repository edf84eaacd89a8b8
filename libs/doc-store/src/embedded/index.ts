export { createEmbeddedDocumentStore, type EmbeddedDocumentStoreOptions } from './embedded-document-store.js';

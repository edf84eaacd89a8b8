export { createMongoDocumentStore, type MongoDocumentStoreOptions } from './mongo-document-store.js';
export { redactMongoUrl } from './mongo-url.js';

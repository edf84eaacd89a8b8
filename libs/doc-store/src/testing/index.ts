export { describeDocumentStoreContract } from './document-store-contract.js';

export { cosine, fillerText, near, randomUnitVector, seededRandom } from './contract-fixtures.js';
export { describeVectorIndexContract, type VectorIndexContractOptions } from './vector-index-contract.js';

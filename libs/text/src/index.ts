export { isBlankText } from './blank-text.js';
export { type Chunk, type ChunkOptions, chunkDocument, defaultChunkOptions } from './chunk-document.js';
export { countTokens, countTokensWithin, type TokenCount } from './count-tokens.js';
export type { Embedder } from './embedder.js';
export { TextError, TextErrorCode } from './errors.js';
export { sha256Hex } from './hash.js';
export { passesLuhn } from './luhn.js';
export { normaliseText } from './normalise-text.js';
export { type ParseInput, parseDocument, supportedContentTypes } from './parse-document.js';
export type {
  DocumentSection,
  PageSpan,
  ParsedDocument,
  ParsedFile,
  ParsedRecord,
  TableSpan,
} from './parsed-document.js';
export { tokenizeForSearch } from './tokenize-for-search.js';

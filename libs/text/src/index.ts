export { type Chunk, type ChunkOptions, chunkDocument, defaultChunkOptions } from './chunk-document.js';
export { countTokens } from './count-tokens.js';
export type { Embedder } from './embedder.js';
export { TextError, TextErrorCode } from './errors.js';
export { sha256Hex } from './hash.js';
export { normaliseText } from './normalise-text.js';
export { type ParseInput, parseDocument, supportedContentTypes } from './parse-document.js';
export type { DocumentSection, ParsedDocument } from './parsed-document.js';
export { tokenizeForSearch } from './tokenize-for-search.js';

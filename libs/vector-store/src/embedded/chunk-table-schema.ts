import { tokenizeForSearch } from '@keel/text';
import { DataType, Field, FixedSizeList, Float32, List, Schema, Utf8 } from 'apache-arrow';
import type { IndexedChunk } from '../vector-index.js';
import { filterTerms } from './lance-filter.js';

/**
 * One Lance table per collection:
 * - `id`, `vector` (cosine), `text` (returned as stored);
 * - `search_text`: the terms of `tokenizeForSearch(text)` joined by spaces, indexed by BM25
 *   with a whitespace analyzer, so keyword search sees exactly the terms the Qdrant adapter
 *   puts in its sparse vectors;
 * - `payload_json`: the payload, returned as stored;
 * - `filter_terms`: see `lance-filter.ts`.
 */
export function chunkTableSchema(dimensions: number): Schema {
  return new Schema([
    new Field('id', new Utf8(), false),
    new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true)), false),
    new Field('text', new Utf8(), false),
    new Field('search_text', new Utf8(), false),
    new Field('payload_json', new Utf8(), false),
    new Field('filter_terms', new List(new Field('item', new Utf8(), true)), false),
  ]);
}

/** The vector length of an existing table, or undefined when it is not a chunk table. */
export function dimensionsOf(schema: Schema): number | undefined {
  const type = schema.fields.find((field) => field.name === 'vector')?.type;
  // Type guards rather than instanceof: LanceDB may hand back classes of its own arrow copy.
  return type && DataType.isFixedSizeList(type) ? (type as FixedSizeList).listSize : undefined;
}

export function toRow(chunk: IndexedChunk): Record<string, unknown> {
  return {
    id: chunk.id,
    vector: chunk.vector,
    text: chunk.text,
    search_text: searchText(chunk.text),
    payload_json: JSON.stringify(chunk.payload),
    filter_terms: filterTerms(chunk.payload),
  };
}

export function searchText(text: string): string {
  return tokenizeForSearch(text).join(' ');
}

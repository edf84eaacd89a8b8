import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { WordVectorTable } from './word-vector-table.js';

/**
 * A compact binary copy of a word vector table, so that later starts read 137 MB of floats
 * instead of parsing 294 MB of JSON:
 *
 *   magic "KEELWV01" | uint32 header length | header JSON | vocabulary (UTF-8, "\n"-joined)
 *   | zero padding to a multiple of 4 | float32 vectors, row-major, little-endian
 *
 * The header records the source package and version; the file name carries them too, so a new
 * package version builds a new cache instead of reading a stale one.
 */
const magic = Buffer.from('KEELWV01', 'latin1');
const formatVersion = 1;

interface CacheHeader {
  format: number;
  source: string;
  dimensions: number;
  count: number;
  vocabularyBytes: number;
}

export function cacheFilePath(cacheDir: string, source: string): string {
  return join(cacheDir, `${source.replace(/[^A-Za-z0-9._-]+/g, '_')}.v${formatVersion}.keelwv`);
}

/** The table, or undefined when the file is missing, from another source or damaged (it is then rebuilt). */
export async function readWordVectorCache(path: string, source: string): Promise<WordVectorTable | undefined> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    return undefined;
  }
  if (file.length < 12 || !file.subarray(0, 8).equals(magic)) return undefined;
  const headerLength = file.readUInt32LE(8);
  let header: CacheHeader;
  try {
    header = JSON.parse(file.toString('utf8', 12, 12 + headerLength)) as CacheHeader;
  } catch {
    return undefined;
  }
  const { dimensions, count, vocabularyBytes } = header;
  const vocabularyOffset = 12 + headerLength;
  const vectorsOffset = align4(vocabularyOffset + vocabularyBytes);
  if (
    header.format !== formatVersion ||
    header.source !== source ||
    endianness() !== 'LE' ||
    file.length !== vectorsOffset + count * dimensions * 4
  ) {
    return undefined;
  }
  const words = file.toString('utf8', vocabularyOffset, vocabularyOffset + vocabularyBytes).split('\n');
  if (words.length !== count) return undefined;
  const start = file.byteOffset + vectorsOffset;
  // readFile of a large file returns an unpooled, aligned buffer; copy only if that ever changes.
  const vectors =
    start % 4 === 0
      ? new Float32Array(file.buffer, start, count * dimensions)
      : new Float32Array(file.buffer.slice(start, start + count * dimensions * 4));
  return { source, dimensions, words, vectors };
}

/**
 * Writes atomically (temporary file, then rename): two processes starting together may both
 * build the cache, and neither ever reads a half-written file.
 */
export async function writeWordVectorCache(path: string, cacheDir: string, table: WordVectorTable): Promise<void> {
  if (table.words.some((word) => word.includes('\n'))) {
    throw new Error('a word contains a line break; the cache format cannot hold it');
  }
  const vocabulary = Buffer.from(table.words.join('\n'), 'utf8');
  const header = Buffer.from(
    JSON.stringify({
      format: formatVersion,
      source: table.source,
      dimensions: table.dimensions,
      count: table.words.length,
      vocabularyBytes: vocabulary.length,
    } satisfies CacheHeader),
    'utf8',
  );
  const headerLength = Buffer.alloc(4);
  headerLength.writeUInt32LE(header.length);
  const unpadded = 12 + header.length + vocabulary.length;
  const padding = Buffer.alloc(align4(unpadded) - unpadded);
  const floats = Buffer.from(table.vectors.buffer, table.vectors.byteOffset, table.vectors.byteLength);

  await mkdir(cacheDir, { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, Buffer.concat([magic, headerLength, header, vocabulary, padding]));
    await writeFile(temporary, floats, { flag: 'a' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function align4(offset: number): number {
  return Math.ceil(offset / 4) * 4;
}

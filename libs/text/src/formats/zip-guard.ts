/**
 * Reads a zip's central directory and checks it before any library inflates it: the entry
 * count, the declared uncompressed sizes, and then the actual ones (each entry is inflated with
 * an output cap, so an entry that lies about its size, or a zip bomb, is stopped at the limit,
 * not after it filled the memory).
 */
import { inflateRawSync } from 'node:zlib';
import { TextError, TextErrorCode } from '../errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  maxEntries: number;
  /** Sum of the uncompressed sizes of every entry. */
  maxUncompressedBytes: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_MARKER = 0xffffffff;

function corrupt(message: string): TextError {
  return new TextError(TextErrorCode.CorruptDocument, `not a readable zip archive: ${message}`);
}

/** The entries of the central directory; throws PARSE.CORRUPT when there is none to read. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is in the last 22 + 65,535 (comment) bytes.
  let eocd = -1;
  for (let offset = bytes.length - 22; offset >= Math.max(0, bytes.length - 22 - 0xffff); offset -= 1) {
    if (view.getUint32(offset, true) === EOCD_SIGNATURE) {
      eocd = offset;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end of central directory');
  const count = view.getUint16(eocd + 10, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (directoryOffset === ZIP64_MARKER || count === 0xffff) {
    throw new TextError(TextErrorCode.DocumentTooLarge, 'zip64 archives are not accepted');
  }
  const entries: ZipEntry[] = [];
  let offset = directoryOffset;
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > bytes.length || view.getUint32(offset, true) !== CENTRAL_SIGNATURE) {
      throw corrupt('damaged central directory');
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const entry: ZipEntry = {
      method: view.getUint16(offset + 10, true),
      compressedSize: view.getUint32(offset + 20, true),
      uncompressedSize: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
      name: new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength)),
    };
    if (entry.compressedSize === ZIP64_MARKER || entry.uncompressedSize === ZIP64_MARKER) {
      throw new TextError(TextErrorCode.DocumentTooLarge, `zip entry ${entry.name} is over 4 GB (zip64)`);
    }
    entries.push(entry);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Throws PARSE.TOO_LARGE for a zip over the limits (declared or actual), PARSE.CORRUPT when unreadable. */
export function checkZip(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const entries = zipEntries(bytes);
  if (entries.length > limits.maxEntries) {
    throw new TextError(
      TextErrorCode.DocumentTooLarge,
      `the archive has ${entries.length} entries; at most ${limits.maxEntries} are accepted`,
    );
  }
  const declared = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0);
  if (declared > limits.maxUncompressedBytes) {
    throw new TextError(
      TextErrorCode.DocumentTooLarge,
      `the archive would expand to ${declared} bytes; at most ${limits.maxUncompressedBytes} are accepted`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let actual = 0;
  for (const entry of entries) {
    const header = entry.localHeaderOffset;
    if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_SIGNATURE) {
      throw corrupt(`damaged local header of ${entry.name}`);
    }
    const dataStart = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
    const data = bytes.subarray(dataStart, dataStart + entry.compressedSize);
    if (data.length < entry.compressedSize) throw corrupt(`${entry.name} is truncated`);
    const remaining = limits.maxUncompressedBytes - actual;
    let size: number;
    if (entry.method === 0) {
      size = data.length;
    } else if (entry.method === 8) {
      try {
        size = inflateRawSync(data, { maxOutputLength: Math.max(1, remaining + 1) }).length;
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new TextError(
            TextErrorCode.DocumentTooLarge,
            `the archive expands past ${limits.maxUncompressedBytes} bytes (${entry.name} declares ${entry.uncompressedSize})`,
          );
        }
        throw corrupt(`${entry.name} does not inflate`);
      }
    } else {
      throw corrupt(`${entry.name} uses compression method ${entry.method}`);
    }
    actual += size;
    if (actual > limits.maxUncompressedBytes) {
      throw new TextError(
        TextErrorCode.DocumentTooLarge,
        `the archive expands past ${limits.maxUncompressedBytes} bytes (${entry.name} declares ${entry.uncompressedSize})`,
      );
    }
  }
  return entries;
}

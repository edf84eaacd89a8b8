/**
 * Content type from the bytes, not from the name: magic numbers for binary formats, then, for
 * text, HTML and JSON Lines by their look. Text formats the bytes cannot tell apart (Markdown and
 * CSV read as plain text too) follow the declared type or the file name, but only among text
 * types: a file named `.txt` holding a PDF is a PDF, and one named `.pdf` holding text is text.
 */
import { zipEntries } from './zip-guard.js';

export const MediaType = {
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  csv: 'text/csv',
  jsonl: 'application/jsonl',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
} as const;

export type SupportedMediaType = (typeof MediaType)[keyof typeof MediaType];

export const SUPPORTED_MEDIA_TYPES: readonly SupportedMediaType[] = Object.values(MediaType);

export function isSupportedMediaType(type: string): type is SupportedMediaType {
  return (SUPPORTED_MEDIA_TYPES as readonly string[]).includes(type);
}

/** Other names the text types go by (declared types and file extensions). */
const TEXT_ALIASES: Record<string, SupportedMediaType> = {
  'text/plain': MediaType.text,
  'text/markdown': MediaType.markdown,
  'text/x-markdown': MediaType.markdown,
  'text/html': MediaType.html,
  'application/xhtml+xml': MediaType.html,
  'text/csv': MediaType.csv,
  'application/csv': MediaType.csv,
  'application/jsonl': MediaType.jsonl,
  'application/x-jsonlines': MediaType.jsonl,
  'application/x-ndjson': MediaType.jsonl,
  'application/jsonlines': MediaType.jsonl,
  '.txt': MediaType.text,
  '.text': MediaType.text,
  '.md': MediaType.markdown,
  '.markdown': MediaType.markdown,
  '.html': MediaType.html,
  '.htm': MediaType.html,
  '.xhtml': MediaType.html,
  '.csv': MediaType.csv,
  '.jsonl': MediaType.jsonl,
  '.ndjson': MediaType.jsonl,
};

/** Binary formats we recognise, supported or not, so a 415 can say what the file is. */
const MAGIC: { type: string; offset: number; bytes: number[] }[] = [
  { type: 'image/png', offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', offset: 0, bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', offset: 0, bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: 'image/tiff', offset: 0, bytes: [0x49, 0x49, 0x2a, 0x00] },
  { type: 'image/tiff', offset: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { type: 'image/bmp', offset: 0, bytes: [0x42, 0x4d] },
  { type: 'application/gzip', offset: 0, bytes: [0x1f, 0x8b] },
  { type: 'application/x-7z-compressed', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { type: 'application/vnd.rar', offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { type: 'application/x-bzip2', offset: 0, bytes: [0x42, 0x5a, 0x68] },
  { type: 'application/zstd', offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  // OLE2 compound file: legacy .doc, .xls, .ppt, and encrypted Office files.
  { type: 'application/x-ole-storage', offset: 0, bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] },
  { type: 'application/rtf', offset: 0, bytes: [0x7b, 0x5c, 0x72, 0x74, 0x66] },
  { type: 'application/x-executable', offset: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { type: 'application/wasm', offset: 0, bytes: [0x00, 0x61, 0x73, 0x6d] },
  { type: 'audio/mpeg', offset: 0, bytes: [0x49, 0x44, 0x33] },
  { type: 'video/mp4', offset: 4, bytes: [0x66, 0x74, 0x79, 0x70] },
  { type: 'application/ogg', offset: 0, bytes: [0x4f, 0x67, 0x67, 0x53] },
  { type: 'application/x-sqlite3', offset: 0, bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66] },
];

export interface DetectHints {
  /** The type the sender declared (a multipart part's Content-Type, an event's content_type). */
  declared?: string;
  fileName?: string;
}

export interface Detection {
  /** What the bytes are (`application/octet-stream` when nothing matched). */
  mediaType: string;
  supported: boolean;
  /** For text: the encoding the bytes were read in. */
  encoding?: 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
}

function startsWith(bytes: Uint8Array, offset: number, magic: number[]): boolean {
  if (bytes.length < offset + magic.length) return false;
  return magic.every((byte, index) => bytes[offset + index] === byte);
}

function mediaTypeOf(value: string | undefined): string {
  return value?.split(';')[0]?.trim().toLowerCase() ?? '';
}

function extensionOf(fileName: string | undefined): string {
  const match = /(\.[A-Za-z0-9]+)$/.exec(fileName ?? '');
  return match ? (match[1] as string).toLowerCase() : '';
}

/** What a text file is, when its bytes do not say: the declared type, else the name, else plain. */
function textHint(hints: DetectHints): SupportedMediaType | undefined {
  return TEXT_ALIASES[mediaTypeOf(hints.declared)] ?? TEXT_ALIASES[extensionOf(hints.fileName)];
}

export function detectContentType(bytes: Uint8Array, hints: DetectHints = {}): Detection {
  // %PDF- may follow a little junk (some producers prepend bytes); readers look in the first 1 KB.
  const head = bytes.subarray(0, 1024);
  if (Buffer.from(head).includes('%PDF-')) return { mediaType: MediaType.pdf, supported: true };
  if (startsWith(bytes, 0, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, 0, [0x50, 0x4b, 0x05, 0x06])) {
    return { mediaType: zipType(bytes), supported: zipType(bytes) === MediaType.docx };
  }
  if (startsWith(bytes, 0, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, 8, [0x57, 0x45, 0x42, 0x50])) {
    return { mediaType: 'image/webp', supported: false };
  }
  for (const magic of MAGIC) {
    if (startsWith(bytes, magic.offset, magic.bytes)) return { mediaType: magic.type, supported: false };
  }
  const encoding = textEncoding(bytes);
  if (!encoding) return { mediaType: 'application/octet-stream', supported: false };
  const sample = decodeText(bytes.subarray(0, 64 * 1024), encoding, false);
  if (looksLikeHtml(sample)) return { mediaType: MediaType.html, supported: true, encoding };
  const hinted = textHint(hints);
  if (hinted) return { mediaType: hinted, supported: true, encoding };
  if (looksLikeJsonLines(sample)) return { mediaType: MediaType.jsonl, supported: true, encoding };
  return { mediaType: MediaType.text, supported: true, encoding };
}

function zipType(bytes: Uint8Array): string {
  let names: string[];
  try {
    names = zipEntries(bytes).map((entry) => entry.name);
  } catch {
    // A damaged central directory: still a zip, and if it claims to be Word, the parser says why not.
    const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
    return head.includes('word/') ? MediaType.docx : 'application/zip';
  }
  if (names.includes('word/document.xml')) return MediaType.docx;
  if (names.some((name) => name.startsWith('xl/'))) {
    return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  }
  if (names.some((name) => name.startsWith('ppt/'))) {
    return 'application/vnd.openxmlformats-officedocument.presentationml.presentation';
  }
  if (names.includes('mimetype') && names.includes('content.xml')) return 'application/vnd.oasis.opendocument';
  if (names.includes('META-INF/container.xml')) return 'application/epub+zip';
  return 'application/zip';
}

/**
 * The encoding of text, or undefined for binary: a UTF-16 byte order mark, else valid UTF-8, else
 * windows-1252 when the bytes hold no control characters but tab, line breaks and form feed.
 */
function textEncoding(bytes: Uint8Array): Detection['encoding'] | undefined {
  if (startsWith(bytes, 0, [0xff, 0xfe])) return 'utf-16le';
  if (startsWith(bytes, 0, [0xfe, 0xff])) return 'utf-16be';
  const sample = bytes.subarray(0, 64 * 1024);
  for (const byte of sample) {
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return undefined;
  }
  try {
    // Streaming: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: sample.length < bytes.length });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** Decodes text bytes; invalid UTF-8 past the sniffed prefix becomes U+FFFD rather than failing. */
export function decodeText(bytes: Uint8Array, encoding: NonNullable<Detection['encoding']>, stripBom = true): string {
  return new TextDecoder(encoding, { ignoreBOM: !stripBom }).decode(bytes);
}

function looksLikeHtml(sample: string): boolean {
  const start = sample
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 512)
    .toLowerCase();
  if (/^<!doctype\s+html/.test(start) || /^<html[\s>]/.test(start)) return true;
  if (/^<\?xml[^>]*>\s*<!doctype\s+html/.test(start)) return true;
  return /^(<!--[\s\S]*?-->\s*)*<(head|body|meta|title)[\s>]/.test(start);
}

function looksLikeJsonLines(sample: string): boolean {
  const lines = sample
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  // The sample may cut its last line: only complete ones are judged, and at least two.
  const complete = lines.length > 1 && !sample.endsWith('\n') ? lines.slice(0, -1) : lines;
  if (complete.length < 2) return false;
  return complete.slice(0, 20).every((line) => {
    if (!line.startsWith('{')) return false;
    try {
      const value = JSON.parse(line) as unknown;
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    } catch {
      return false;
    }
  });
}

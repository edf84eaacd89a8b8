/**
 * DOCX: the zip is checked first (zip-guard), then mammoth turns it into HTML that keeps the
 * Word styles' meaning (Heading 1-6, numbered and bulleted lists, tables), which the shared HTML
 * walker writes out. Images are dropped: there is no text in them to index.
 */

import { parseHTML } from 'linkedom';
import mammoth from 'mammoth';
import { TextError, TextErrorCode } from '../errors.js';
import type { ParsedDocument } from '../parsed-document.js';
import { type DomNode, writeHtmlBlocks } from './html-blocks.js';
import { TextBuilder } from './text-builder.js';
import { checkZip, type ZipLimits } from './zip-guard.js';

export const DOCX_PARSER_ID = 'docx-mammoth-v1';

export async function parseDocx(bytes: Uint8Array, limits: ZipLimits): Promise<ParsedDocument> {
  const entries = checkZip(bytes, limits);
  const names = new Set(entries.map((entry) => entry.name));
  if (!names.has('word/document.xml')) {
    throw new TextError(TextErrorCode.CorruptDocument, 'the archive has no word/document.xml: not a Word document');
  }
  if (names.has('EncryptionInfo') || names.has('EncryptedPackage')) {
    throw new TextError(TextErrorCode.EncryptedDocument, 'the Word document is password-protected');
  }
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
    );
    html = result.value;
  } catch (error) {
    throw new TextError(
      TextErrorCode.CorruptDocument,
      `the Word document cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`) as unknown as {
    document: { body: DomNode | null };
  };
  const builder = new TextBuilder();
  if (document.body) writeHtmlBlocks(document.body, builder);
  return builder.finish(DOCX_PARSER_ID);
}

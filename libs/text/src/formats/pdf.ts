/**
 * PDF: the text layer through unpdf 1.7.0 (pdf.js 5 for Node 20), page by page, so every chunk
 * knows its pages. One PDF library per process: two pdf.js builds in one process break
 * ("API version does not match Worker version", LIBRARIES.md).
 *
 * A PDF whose pages paint images but carry (almost) no text is a scan: rejected as
 * PARSE.NO_TEXT_LAYER, since indexing it would need OCR; one with neither is PARSE.EMPTY_DOCUMENT.
 */
import { getDocumentProxy, getResolvedPDFJS } from 'unpdf';
import { TextError, TextErrorCode } from '../errors.js';
import type { ParsedDocument } from '../parsed-document.js';
import { blockText, TextBuilder } from './text-builder.js';

export const PDF_PARSER_ID = 'pdf-unpdf-v1';

/** Below this many visible characters per page on average, a PDF with images is a scan. */
const SCAN_CHARS_PER_PAGE = 20;

export interface PdfLimits {
  maxPages: number;
}

interface TextItem {
  str?: string;
  hasEOL?: boolean;
}

export async function parsePdf(bytes: Uint8Array, limits: PdfLimits): Promise<ParsedDocument> {
  // pdf.js takes ownership of (detaches) the buffer it is given.
  const data = new Uint8Array(bytes);
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(data, { verbosity: 0, isEvalSupported: false, stopAtErrors: false });
  } catch (error) {
    throw openError(error);
  }
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new TextError(
        TextErrorCode.DocumentTooLarge,
        `the PDF has ${pdf.numPages} pages; at most ${limits.maxPages} are accepted`,
      );
    }
    const builder = new TextBuilder();
    let visible = 0;
    const pageTexts: string[] = [];
    for (let number = 1; number <= pdf.numPages; number += 1) {
      const page = await pdf.getPage(number);
      const content = await page.getTextContent();
      const text = blockText(
        (content.items as TextItem[]).map((item) => `${item.str ?? ''}${item.hasEOL ? '\n' : ''}`).join(''),
      );
      pageTexts.push(text);
      visible += text.replace(/\s+/g, '').length;
      page.cleanup();
    }
    if (visible < SCAN_CHARS_PER_PAGE * pdf.numPages) {
      if (hasImageObjects(bytes) || (await paintsImages(pdf))) {
        throw new TextError(
          TextErrorCode.NoTextLayer,
          `the PDF's ${pdf.numPages} page(s) are images with ${visible} characters of text: a scan without a text layer (OCR it first)`,
        );
      }
      if (visible === 0) throw new TextError(TextErrorCode.EmptyDocument, 'the PDF has no text');
    }
    pageTexts.forEach((text, index) => {
      builder.startPage(index + 1);
      builder.paragraph(text, true);
    });
    return builder.finish(PDF_PARSER_ID);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

/**
 * Image XObjects visible in the file's bytes: cheap, and it spares building operator lists, which
 * decodes the images (seconds for one scanned page). Dictionaries inside compressed object
 * streams are not visible this way: `paintsImages` then decides.
 */
function hasImageObjects(bytes: Uint8Array): boolean {
  return /\/Subtype\s*\/Image\b/.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

async function paintsImages(pdf: { numPages: number; getPage(n: number): Promise<PdfPage> }): Promise<boolean> {
  const { OPS } = await getResolvedPDFJS();
  const imageOps = new Set<number>([
    OPS.paintImageXObject,
    OPS.paintInlineImageXObject,
    OPS.paintImageMaskXObject,
    OPS.paintImageXObjectRepeat,
    OPS.paintInlineImageXObjectGroup,
  ]);
  for (let number = 1; number <= pdf.numPages; number += 1) {
    const page = await pdf.getPage(number);
    const operators = await page.getOperatorList();
    page.cleanup();
    if (operators.fnArray.some((op) => imageOps.has(op))) return true;
  }
  return false;
}

interface PdfPage {
  getOperatorList(): Promise<{ fnArray: number[] }>;
  cleanup(): void;
}

function openError(error: unknown): TextError {
  const name = (error as { name?: string } | null)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new TextError(TextErrorCode.EncryptedDocument, 'the PDF is password-protected', { cause: error });
  }
  return new TextError(TextErrorCode.CorruptDocument, `the PDF cannot be read: ${message}`, { cause: error });
}

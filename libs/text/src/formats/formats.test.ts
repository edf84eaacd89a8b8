import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkDocument } from '../chunk-document.js';
import { TextError } from '../errors.js';
import { detectContentType, FileParser, MediaType, parseFile } from './index.js';
import { docxParagraph, docxTable, makeDocx, makeZip } from './test-files.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const utf8 = (text: string) => new TextEncoder().encode(text);

async function rejection(promise: Promise<unknown>): Promise<TextError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TextError);
  return error as TextError;
}

describe('detectContentType: from the bytes, not the name', () => {
  it('a PDF named .txt is a PDF, and text named .pdf is text', () => {
    expect(detectContentType(fixture('hello_world_rotated.pdf'), { fileName: 'notes.txt' }).mediaType).toBe(
      MediaType.pdf,
    );
    expect(detectContentType(utf8('just words'), { fileName: 'report.pdf', declared: 'application/pdf' })).toEqual({
      mediaType: MediaType.text,
      supported: true,
      encoding: 'utf-8',
    });
  });

  it('knows DOCX inside a zip, and names zips, images and executables it does not take', () => {
    expect(detectContentType(fixture('test.docx'), { fileName: 'x.bin' }).mediaType).toBe(MediaType.docx);
    expect(detectContentType(makeZip([{ name: 'a.txt', data: 'hi' }])).mediaType).toBe('application/zip');
    expect(detectContentType(makeZip([{ name: 'xl/workbook.xml', data: '<x/>' }])).supported).toBe(false);
    expect(detectContentType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]))).toEqual({
      mediaType: 'image/png',
      supported: false,
    });
    expect(detectContentType(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])).mediaType).toBe(
      'application/x-executable',
    );
    expect(detectContentType(new Uint8Array([1, 2, 3, 0, 0, 4])).mediaType).toBe('application/octet-stream');
  });

  it('tells HTML and JSON Lines by their look; Markdown and CSV by the declared type or name', () => {
    expect(detectContentType(utf8('<!DOCTYPE html><html><body>x</body></html>'), { fileName: 'a.txt' }).mediaType).toBe(
      MediaType.html,
    );
    expect(detectContentType(utf8('{"a":1}\n{"a":2}\n')).mediaType).toBe(MediaType.jsonl);
    expect(detectContentType(utf8('# Title\n'), { fileName: 'README.md' }).mediaType).toBe(MediaType.markdown);
    expect(detectContentType(utf8('a,b\n1,2\n'), { declared: 'text/csv; charset=utf-8' }).mediaType).toBe(
      MediaType.csv,
    );
    expect(detectContentType(utf8('a,b\n1,2\n')).mediaType).toBe(MediaType.text);
  });

  it('reads UTF-16 and windows-1252 text', async () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('héllo', 'utf16le')]);
    expect(detectContentType(utf16).encoding).toBe('utf-16le');
    expect((await parseFile(utf16)).text).toBe('héllo');
    const latin = new Uint8Array([0x63, 0x61, 0x66, 0xe9]);
    expect((await parseFile(latin)).text).toBe('café');
  });
});

describe('PDF (real-world files from the pdf.js test corpus)', () => {
  it('keeps every page, and each chunk knows its pages', async () => {
    const parsed = await parseFile(fixture('hello_world_rotated.pdf'));
    expect(parsed.contentType).toBe(MediaType.pdf);
    expect(parsed.parser).toBe('pdf-unpdf-v1');
    expect(parsed.pages?.map((page) => page.page)).toEqual([1, 2, 3, 4, 5]);
    for (const page of parsed.pages ?? []) expect(parsed.text.slice(page.start, page.end).trim()).toBe('Hello world');
    const chunks = chunkDocument(parsed, { maxTokens: 3, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks[0]?.pages).toEqual([1]);
    expect(chunks.at(-1)?.pages).toEqual([5]);
    const whole = chunkDocument(parsed);
    expect(whole[0]?.pages).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads Arabic text in a CID font and a PDF with a damaged cross-reference table', async () => {
    const arabic = await parseFile(fixture('ArabicCIDTrueType.pdf'));
    expect(arabic.text).toMatch(/[\u0600-\u06ff]/);
    expect((await parseFile(fixture('xref_command_missing.pdf'))).text).toContain('Reduced test-case');
  });

  it('rejects encrypted, empty, image-only (scanned), corrupt and over-long PDFs with their reason', async () => {
    expect((await rejection(parseFile(fixture('encrypted-attachment.pdf')))).code).toBe('PARSE.ENCRYPTED');
    expect((await rejection(parseFile(fixture('empty.pdf')))).code).toBe('PARSE.EMPTY_DOCUMENT');
    const scan = await rejection(parseFile(fixture('scan-bad.pdf')));
    expect(scan.code).toBe('PARSE.NO_TEXT_LAYER');
    expect(scan.message).toMatch(/scan/);
    const truncated = fixture('hello_world_rotated.pdf').subarray(0, 200);
    expect((await rejection(parseFile(truncated))).code).toBe('PARSE.CORRUPT');
    const long = await rejection(
      parseFile(fixture('hello_world_rotated.pdf'), {}, { ...(await defaults()), maxPdfPages: 3 }),
    );
    expect(long.code).toBe('PARSE.TOO_LARGE');
    expect(long.message).toContain('5 pages');
  });
});

async function defaults() {
  return (await import('./limits.js')).DEFAULT_FORMAT_LIMITS;
}

describe('DOCX', () => {
  it('keeps headings and numbered lists of real Word files (python-docx test files)', async () => {
    const headed = await parseFile(fixture('par-known-paragraphs.docx'));
    expect(headed.parser).toBe('docx-mammoth-v1');
    expect(headed.text).toBe('# Heading Paragraph\n\nNormal paragraph');
    expect(headed.sections).toEqual([{ heading: ['Heading Paragraph'], start: 0, end: headed.text.length }]);
    expect((await parseFile(fixture('num-having-numbering-part.docx'))).text).toBe(
      '1. Paragraph having List Number style.',
    );
  });

  it('renders tables as pipe rows, and the chunker keeps a table whole where it fits', async () => {
    const rows = [
      ['Part', 'Warranty', 'Notes'],
      ['Battery', '2 years', 'Replace when capacity drops below 80 percent.'],
      ['Motor', '5 years', 'Covers defects in materials and workmanship.'],
      ['Frame', 'Lifetime', 'For the original owner only.'],
    ];
    const bytes = makeDocx(
      [
        docxParagraph('Warranty', 'Heading1'),
        docxParagraph('What each part is covered for. '.repeat(6)),
        docxTable(rows),
        docxParagraph('Claims', 'Heading2'),
        docxParagraph('Send the receipt.'),
      ].join(''),
    );
    const parsed = await parseFile(bytes);
    expect(parsed.tables).toHaveLength(1);
    const table = parsed.tables?.[0] as { start: number; end: number };
    const tableText = parsed.text.slice(table.start, table.end);
    expect(tableText.split('\n')).toEqual([
      '| Part | Warranty | Notes |',
      '| --- | --- | --- |',
      '| Battery | 2 years | Replace when capacity drops below 80 percent. |',
      '| Motor | 5 years | Covers defects in materials and workmanship. |',
      '| Frame | Lifetime | For the original owner only. |',
    ]);
    expect(parsed.sections.map((section) => section.heading)).toEqual([['Warranty'], ['Warranty', 'Claims']]);
    // Small enough that, table or not, rows would be split across chunks.
    const chunks = chunkDocument(parsed, { maxTokens: 90, overlapTokens: 0 });
    const holding = chunks.filter((chunk) => chunk.text.includes('| Battery'));
    expect(holding).toHaveLength(1);
    expect(holding[0]?.text).toContain(tableText);
    // A table bigger than a chunk is cut between rows, never inside one.
    for (const chunk of chunkDocument(parsed, { maxTokens: 30, overlapTokens: 0 })) {
      for (const line of chunk.text.split('\n')) if (line.startsWith('|')) expect(line).toMatch(/\|$/);
    }
  });

  it('stops a zip bomb by the declared size and by the actual size of an entry that lies', async () => {
    const limits = { ...(await defaults()), maxUncompressedBytes: 1024 * 1024 };
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const declared = await rejection(
      parseFile(makeDocx(docxParagraph('x'), [{ name: 'word/a.bin', data: zeros }]), {}, limits),
    );
    expect(declared.code).toBe('PARSE.TOO_LARGE');
    expect(declared.message).toMatch(/would expand to \d+ bytes/);
    const lying = await rejection(
      parseFile(makeDocx(docxParagraph('x'), [{ name: 'word/a.bin', data: zeros, declaredSize: 10 }]), {}, limits),
    );
    expect(lying.code).toBe('PARSE.TOO_LARGE');
    expect(lying.message).toMatch(/expands past 1048576 bytes \(word\/a\.bin declares 10\)/);
  });

  it('rejects a damaged archive and a Word file without text', async () => {
    const docx = makeDocx(docxParagraph('Hello'));
    expect((await rejection(parseFile(docx.subarray(0, docx.length - 30)))).code).toBe('PARSE.CORRUPT');
    expect((await rejection(parseFile(fixture('tbl-having-tables.docx')))).code).toBe('PARSE.EMPTY_DOCUMENT');
  });
});

describe('HTML', () => {
  const page = `<!doctype html><html><head><title>Refunds</title><script>var x = 1;</script></head><body>
    <nav><a href="/">Home</a> | <a href="/shop">Shop</a> | Sign in</nav>
    <header>ACME Store — best prices</header>
    <article>
      <h1>Refund policy</h1>
      <p>${'You can return any item within 30 days of delivery for a full refund. '.repeat(4)}</p>
      <h2>How to return</h2>
      <ol><li>Open your orders.</li><li>Choose <b>Return</b>.<ul><li>Print the label.</li></ul></li></ol>
      <p>${'Refunds reach your card within five working days after we receive the parcel. '.repeat(3)}</p>
      <table><tr><th>Item</th><th>Window</th></tr><tr><td>Shoes</td><td>30 days</td></tr></table>
    </article>
    <footer>© ACME 2026 · Privacy · Cookies</footer>
  </body></html>`;

  it('strips boilerplate and keeps headings, lists and tables', async () => {
    const parsed = await parseFile(utf8(page));
    expect(parsed.contentType).toBe(MediaType.html);
    expect(parsed.parser).toBe('html-readability-v1');
    expect(parsed.text).not.toMatch(/Sign in|Cookies|var x|best prices/);
    expect(parsed.text).toContain('# Refund policy');
    expect(parsed.text).toContain('## How to return\n\n');
    expect(parsed.text).toContain('1. Open your orders.\n2. Choose Return.\n  - Print the label.');
    expect(parsed.text).toContain('| Item | Window |\n| --- | --- |\n| Shoes | 30 days |');
    expect(parsed.sections.map((section) => section.heading)).toEqual([
      ['Refund policy'],
      ['Refund policy', 'How to return'],
    ]);
    expect(parsed.tables).toHaveLength(1);
  });

  it('reads a short page Readability finds no article in', async () => {
    const parsed = await parseFile(utf8('<html><body><nav>Menu</nav><p>Opening hours: 8 to 5.</p></body></html>'));
    expect(parsed.text).toBe('Opening hours: 8 to 5.');
  });
});

describe('CSV and JSON Lines: one record per row', () => {
  const csv =
    'id,question,answer,team\nq1,How do refunds work?,"Within 30 days, in full.",support\nq2,Opening hours?,8 to 5,front\n';

  it('CSV with chosen text, metadata and id fields', async () => {
    const parsed = await parseFile(utf8(csv), {
      fileName: 'faq.csv',
      records: { textFields: ['question', 'answer'], metadataFields: ['team'], idField: 'id' },
    });
    expect(parsed.contentType).toBe(MediaType.csv);
    expect(parsed.records).toEqual([
      {
        id: 'q1',
        row: 1,
        text: 'question: How do refunds work?\nanswer: Within 30 days, in full.',
        metadata: { team: 'support' },
        start: 0,
        end: 63,
      },
      {
        id: 'q2',
        row: 2,
        text: 'question: Opening hours?\nanswer: 8 to 5',
        metadata: { team: 'front' },
        start: 65,
        end: 104,
      },
    ]);
    for (const record of parsed.records ?? []) expect(parsed.text.slice(record.start, record.end)).toBe(record.text);
    expect(parsed.sections.map((section) => section.heading)).toEqual([['q1'], ['q2']]);
  });

  it('JSON Lines; by default every field but metadata and id is text', async () => {
    const parsed = await parseFile(
      utf8(
        '{"id":7,"body":"Lamps ship in two days.","tags":["x"],"lang":"en"}\n\n{"id":8,"body":"Chairs in five.","lang":"en"}\n',
      ),
      {
        records: { metadataFields: ['lang'], idField: 'id' },
      },
    );
    expect(parsed.contentType).toBe(MediaType.jsonl);
    expect(parsed.records?.map((record) => [record.id, record.row, record.text, record.metadata])).toEqual([
      ['7', 1, 'body: Lamps ship in two days.\ntags: ["x"]', { lang: 'en' }],
      ['8', 3, 'Chairs in five.', { lang: 'en' }],
    ]);
  });

  it('rejects a malformed line, too many rows and a file without text', async () => {
    const bad = await rejection(parseFile(utf8('{"a":"x"}\n{"a": nope}\n'), { fileName: 'a.jsonl' }));
    expect(bad.code).toBe('PARSE.CORRUPT');
    expect(bad.message).toMatch(/line 2/);
    const many = await rejection(parseFile(utf8(csv), { fileName: 'a.csv' }, { ...(await defaults()), maxRecords: 1 }));
    expect(many.code).toBe('PARSE.TOO_LARGE');
    expect((await rejection(parseFile(utf8('a,b\n,\n'), { fileName: 'a.csv' }))).code).toBe('PARSE.EMPTY_DOCUMENT');
  });
});

describe('rejections common to every format', () => {
  it('empty, blank, unsupported (naming the detected type) and oversize files', async () => {
    expect((await rejection(parseFile(new Uint8Array()))).code).toBe('PARSE.EMPTY_DOCUMENT');
    expect((await rejection(parseFile(utf8(' \n\t ')))).code).toBe('PARSE.EMPTY_DOCUMENT');
    const png = await rejection(parseFile(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1])));
    expect(png.code).toBe('PARSE.UNSUPPORTED_CONTENT_TYPE');
    expect(png.message).toContain('image/png');
    const big = await rejection(parseFile(utf8('x'.repeat(2000)), {}, { ...(await defaults()), maxBytes: 1000 }));
    expect(big.code).toBe('PARSE.TOO_LARGE');
  });
});

describe('FileParser: parsing in a worker thread with a time limit', () => {
  const parser = new FileParser();
  afterAll(() => parser.close());

  it('parses in the worker and gives the same result as in-process', async () => {
    const bytes = fixture('hello_world_rotated.pdf');
    expect(await parser.parse(bytes)).toEqual(await parseFile(bytes));
    // The caller keeps its bytes (a copy is transferred).
    expect(bytes.length).toBe(1324);
  }, 30_000);

  it('brings the reason across the thread boundary', async () => {
    expect((await rejection(parser.parse(fixture('encrypted-attachment.pdf')))).code).toBe('PARSE.ENCRYPTED');
  }, 30_000);

  it('stops a parse that runs past the time limit, then keeps working with a fresh worker', async () => {
    const hasty = new FileParser({ limits: { timeoutMs: 1 } });
    try {
      const stopped = await rejection(hasty.parse(fixture('ArabicCIDTrueType.pdf')));
      expect(stopped.code).toBe('PARSE.TIMEOUT');
      expect(stopped.message).toBe('parsing took longer than 1 ms and was stopped');
    } finally {
      await hasty.close();
    }
    expect((await parser.parse(utf8('still here'))).text).toBe('still here');
  }, 30_000);
});

/**
 * Parsers (libs/text/src/formats): documents per second per format on real-world files: the
 * public samples committed beside the parsers (pdf.js and python-docx test files), the two long
 * PDFs of ../shared/datasets/documents when present, and HTML, CSV, JSON Lines and Markdown built
 * from MEDLINE abstracts (real text). Three subjects on the same files, in the same run:
 * - `parseFile`: detection, limits and the parser, in-process;
 * - `FileParser`: the same in the worker thread with its time limit (what ingestion runs);
 * - `library alone`: the library's own plain-text extraction (unpdf `extractText`, mammoth
 *   `extractRawText`, Readability's `textContent`, csv-parse), the baseline for the structure
 *   (headings, lists, tables, pages) Keel adds.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkDocument } from '@keel/text';
import { FileParser, parseFile } from '@keel/text/formats';
import { Readability } from '@mozilla/readability';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseHTML } from 'linkedom';
import mammoth from 'mammoth';
import { extractText, getDocumentProxy } from 'unpdf';
import { type Benchmark, type BenchmarkReport, integerSetting, type Row, timeEach } from './harness.js';
import { loadMedline } from './medline.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '..', 'libs', 'text', 'src', 'formats', 'fixtures');

interface Sample {
  format: string;
  name: string;
  bytes: Uint8Array;
  baseline: (bytes: Uint8Array) => Promise<number>;
}

const baselines = {
  pdf: async (bytes: Uint8Array) => {
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    return text.length;
  },
  docx: async (bytes: Uint8Array) => (await mammoth.extractRawText({ buffer: Buffer.from(bytes) })).value.length,
  html: async (bytes: Uint8Array) => {
    const { document } = parseHTML(Buffer.from(bytes).toString('utf8'));
    return new Readability(document as never).parse()?.textContent?.length ?? 0;
  },
  csv: async (bytes: Uint8Array) => (parseCsv(Buffer.from(bytes), { columns: true }) as unknown[]).length,
  jsonl: async (bytes: Uint8Array) =>
    Buffer.from(bytes)
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown).length,
  markdown: async (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8').length,
};

function datasetDocuments(): string | undefined {
  const candidates = [
    ...(process.env.KEEL_DATASETS_DIR ? [join(process.env.KEEL_DATASETS_DIR, 'documents')] : []),
    resolve(here, '..', '..', 'shared', 'datasets', 'documents'),
  ];
  return candidates.find((candidate) => existsSync(join(candidate, 'pdf')));
}

function samples(notes: string[]): Sample[] {
  const list: Sample[] = [];
  for (const name of readdirSync(FIXTURES).sort()) {
    const format = name.endsWith('.pdf') ? 'pdf' : name.endsWith('.docx') ? 'docx' : undefined;
    if (!format) continue;
    list.push({ format, name, bytes: new Uint8Array(readFileSync(join(FIXTURES, name))), baseline: baselines[format] });
  }
  const shared = datasetDocuments();
  if (shared) {
    for (const name of ['tracemonkey.pdf', 'TAMReview.pdf']) {
      list.push({
        format: 'pdf',
        name,
        bytes: new Uint8Array(readFileSync(join(shared, 'pdf', name))),
        baseline: baselines.pdf,
      });
    }
  } else {
    notes.push('../shared/datasets/documents not found: the two long PDFs (tracemonkey, TAMReview) were skipped');
  }
  const medline = loadMedline();
  if (!medline.available) {
    notes.push(`${medline.reason}: HTML, CSV, JSON Lines and Markdown were skipped`);
    return list;
  }
  const abstracts = medline.collection.documents.slice(0, 200).map((document) => document.text);
  const encode = (text: string) => new TextEncoder().encode(text);
  const page = `<!doctype html><html><head><title>Abstracts</title><script>var tracking = true;</script></head><body>
<nav><a href="/">Home</a> <a href="/search">Search</a> <a href="/login">Sign in</a></nav>
<main><article><h1>MEDLINE abstracts</h1>${abstracts
    .slice(0, 20)
    .map(
      (text, index) =>
        `<h2>Abstract ${index + 1}</h2><p>${text}</p><ul><li>record ${index + 1}</li><li>MEDLINE</li></ul>`,
    )
    .join('\n')}</article></main><footer>Privacy · Cookies · Contact</footer></body></html>`;
  list.push({ format: 'html', name: 'medline-20-abstracts.html', bytes: encode(page), baseline: baselines.html });
  const csv = `id,abstract,source\n${abstracts.map((text, index) => `m${index},"${text.replaceAll('"', '""')}",medline`).join('\n')}\n`;
  list.push({ format: 'csv', name: 'medline-200-rows.csv', bytes: encode(csv), baseline: baselines.csv });
  const jsonl = abstracts.map((text, index) => JSON.stringify({ id: `m${index}`, abstract: text })).join('\n');
  list.push({ format: 'jsonl', name: 'medline-200-rows.jsonl', bytes: encode(jsonl), baseline: baselines.jsonl });
  const markdown = abstracts
    .slice(0, 20)
    .map((text, index) => `## Abstract ${index + 1}\n\n${text}\n`)
    .join('\n');
  list.push({
    format: 'markdown',
    name: 'medline-20-abstracts.md',
    bytes: encode(markdown),
    baseline: baselines.markdown,
  });
  return list;
}

async function run(): Promise<BenchmarkReport> {
  const repeats = integerSetting('BENCH_PARSER_REPEATS', 10);
  const notes: string[] = [];
  const perFile: Row[] = [];
  const perFormat = new Map<
    string,
    { docs: number; ms: number; workerMs: number; baselineMs: number; bytes: number }
  >();
  const worker = new FileParser();
  try {
    for (const sample of samples(notes)) {
      const fileName =
        sample.format === 'csv' || sample.format === 'jsonl' || sample.format === 'markdown' ? sample.name : '';
      const options = fileName ? { fileName } : {};
      let outcome = 'parsed';
      let chunks = 0;
      let pages: number | undefined;
      try {
        const parsed = await parseFile(sample.bytes, options);
        chunks = chunkDocument(parsed).length;
        pages = parsed.pages?.length;
      } catch (error) {
        outcome = `rejected ${(error as { code?: string }).code}`;
      }
      const quiet = async (operation: () => Promise<unknown>) => {
        try {
          await operation();
        } catch {
          // A rejected file is timed too: rejecting it is the work done.
        }
      };
      const inProcess = await timeEach(repeats, 2, () => quiet(() => parseFile(sample.bytes, options)));
      const inWorker = await timeEach(repeats, 2, () => quiet(() => worker.parse(sample.bytes, options)));
      const library = await timeEach(repeats, 2, () => quiet(() => sample.baseline(sample.bytes)));
      perFile.push({
        format: sample.format,
        file: sample.name,
        KB: sample.bytes.length / 1024,
        outcome,
        pages,
        chunks,
        'parseFile docs/s': inProcess.stats.opsPerSec,
        'parseFile p50 ms': inProcess.stats.p50Ms,
        'FileParser docs/s': inWorker.stats.opsPerSec,
        'library alone docs/s': library.stats.opsPerSec,
      });
      const totals = perFormat.get(sample.format) ?? { docs: 0, ms: 0, workerMs: 0, baselineMs: 0, bytes: 0 };
      totals.docs += repeats;
      totals.ms += inProcess.stats.meanMs * repeats;
      totals.workerMs += inWorker.stats.meanMs * repeats;
      totals.baselineMs += library.stats.meanMs * repeats;
      totals.bytes += sample.bytes.length * repeats;
      perFormat.set(sample.format, totals);
    }
  } finally {
    await worker.close();
  }
  const formats: Row[] = [...perFormat.entries()].map(([format, totals]) => ({
    format,
    'parseFile docs/s': (totals.docs * 1000) / totals.ms,
    'parseFile MB/s': totals.bytes / 1024 / 1024 / (totals.ms / 1000),
    'FileParser docs/s': (totals.docs * 1000) / totals.workerMs,
    'library alone docs/s': (totals.docs * 1000) / totals.baselineMs,
  }));
  return {
    config: { repeats, warmup: 2 },
    tables: [
      { title: 'per format (every sample of the format, one after another)', rows: formats },
      { title: 'per file', rows: perFile },
    ],
    notes,
  };
}

export const parsersBenchmark: Benchmark = {
  name: 'parsers',
  description: 'documents/s per format on real-world files: parseFile, FileParser (worker) and the library alone',
  run,
};

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Cranfield 1400 collection from the shared datasets folder (`../shared/datasets` beside
 * the repository, or `KEEL_DATASETS_DIR`): read in place, never copied into the project.
 */
export interface CranfieldCollection {
  documents: { id: string; title: string; text: string }[];
  /** Numbered 1..225 in file order, which is how `cranqrel` refers to them (not by `.I`). */
  queries: { id: string; text: string }[];
  /** query id → document id → graded gain (4 = complete answer ... 1 = minimum interest). */
  judgements: Map<string, Map<string, number>>;
}

export type CranfieldAvailability =
  | { available: true; collection: CranfieldCollection }
  | { available: false; reason: string };

export function findCranfieldDirectory(): string | undefined {
  const candidates: string[] = [];
  if (process.env.KEEL_DATASETS_DIR) candidates.push(join(process.env.KEEL_DATASETS_DIR, 'cranfield'));
  const root = repositoryRoot();
  if (root) candidates.push(resolve(root, '..', 'shared', 'datasets', 'cranfield'));
  return candidates.find((candidate) => existsSync(join(candidate, 'cran.all.1400')));
}

export function loadCranfield(): CranfieldAvailability {
  const directory = findCranfieldDirectory();
  if (!directory) {
    return {
      available: false,
      reason: 'Cranfield not found: expected ../shared/datasets/cranfield beside the repository or KEEL_DATASETS_DIR',
    };
  }
  const read = (name: string) => readFileSync(join(directory, name), 'utf8');
  const documents = smartRecords(read('cran.all.1400')).map((record) => ({
    id: record.id,
    title: clean(record.fields.get('T') ?? ''),
    text: clean(record.fields.get('W') ?? ''),
  }));
  const queries = smartRecords(read('cran.qry')).map((record, position) => ({
    id: String(position + 1),
    text: clean(record.fields.get('W') ?? ''),
  }));
  return { available: true, collection: { documents, queries, judgements: judgements(read('cranqrel')) } };
}

function repositoryRoot(): string | undefined {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (true) {
    if (existsSync(join(directory, 'nx.json'))) return directory;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/** SMART format: `.I <id>` opens a record, `.T`/`.A`/`.B`/`.W` open its fields. */
function smartRecords(source: string): { id: string; fields: Map<string, string> }[] {
  const records: { id: string; fields: Map<string, string> }[] = [];
  let field: string | undefined;
  // cran.qry has CRLF line ends, cran.all.1400 LF.
  for (const line of source.split(/\r?\n/)) {
    const marker = /^\.([ITABW])\b\s*(.*)$/.exec(line);
    if (marker?.[1] === 'I') {
      records.push({ id: String(Number(marker[2])), fields: new Map() });
      field = undefined;
    } else if (marker) {
      field = marker[1];
    } else if (field) {
      const fields = records.at(-1)?.fields;
      fields?.set(field, `${fields.get(field) ?? ''}${line}\n`);
    }
  }
  return records;
}

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Cleverdon's grades run from 1 (a complete answer) to 4 (minimum interest); -1 marks
 * documents judged of no interest. Gains invert them: 1 → 4 ... 4 → 1, and -1 → 0.
 */
function judgements(source: string): Map<string, Map<string, number>> {
  const byQuery = new Map<string, Map<string, number>>();
  for (const line of source.split('\n')) {
    const [query, document, grade] = line.trim().split(/\s+/);
    if (!query || !document || grade === undefined) continue;
    const value = Number(grade);
    const gain = value >= 1 && value <= 4 ? 5 - value : 0;
    const forQuery = byQuery.get(query) ?? new Map<string, number>();
    forQuery.set(String(Number(document)), gain);
    byQuery.set(query, forQuery);
  }
  return byQuery;
}

/**
 * The MEDLINE (MED) test collection from the shared datasets folder (`../shared/datasets/medline`
 * beside the repository, or `KEEL_DATASETS_DIR`), read in place, never copied into the project:
 * 1,033 medical abstracts, 30 queries, binary judgements. Shaped like `loadCranfield()`'s
 * collection so that one quality routine measures both.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CranfieldCollection } from '@keel/text/testing';

export type TestCollection = CranfieldCollection;

export type MedlineAvailability =
  | { available: true; collection: TestCollection }
  | { available: false; reason: string };

export function findMedlineDirectory(): string | undefined {
  const candidates: string[] = [];
  if (process.env.KEEL_DATASETS_DIR) candidates.push(join(process.env.KEEL_DATASETS_DIR, 'medline'));
  candidates.push(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets', 'medline'));
  return candidates.find((candidate) => existsSync(join(candidate, 'MED.ALL')));
}

export function loadMedline(): MedlineAvailability {
  const directory = findMedlineDirectory();
  if (!directory) {
    return {
      available: false,
      reason: 'MEDLINE not found: expected ../shared/datasets/medline beside the repository or KEEL_DATASETS_DIR',
    };
  }
  const read = (name: string) => readFileSync(join(directory, name), 'utf8');
  const documents = smartRecords(read('MED.ALL')).map((record) => ({
    id: record.id,
    title: '',
    text: clean(record.text),
  }));
  // Queries are numbered 1-30 in file order, as their `.I` ids and MED.REL are.
  const queries = smartRecords(read('MED.QRY')).map((record) => ({ id: record.id, text: clean(record.text) }));
  const documentIds = new Set(documents.map((document) => document.id));
  const queryIds = new Set(queries.map((query) => query.id));
  const judgements = new Map<string, Map<string, number>>();
  for (const line of read('MED.REL').split(/\r?\n/)) {
    const [query, document, relevance] = line.trim().split(/\s+/);
    if (!query || !document || relevance === undefined) continue;
    const queryId = String(Number(query));
    const documentId = String(Number(document));
    // A judgement naming a query or document the collection lacks is a broken file, not a zero.
    if (!queryIds.has(queryId) || !documentIds.has(documentId)) {
      throw new Error(`MED.REL names query ${query} / document ${document}, which the collection does not hold`);
    }
    const forQuery = judgements.get(queryId) ?? new Map<string, number>();
    forQuery.set(documentId, Number(relevance) > 0 ? 1 : 0);
    judgements.set(queryId, forQuery);
  }
  return { available: true, collection: { documents, queries, judgements } };
}

/** SMART format, `.I <id>` then `.W` and the text; MED files pad lines with trailing spaces. */
function smartRecords(source: string): { id: string; text: string }[] {
  const records: { id: string; text: string }[] = [];
  let inText = false;
  for (const line of source.split(/\r?\n/)) {
    const marker = /^\.([A-Z])\b\s*(.*)$/.exec(line);
    if (marker?.[1] === 'I') {
      records.push({ id: String(Number(marker[2])), text: '' });
      inText = false;
    } else if (marker) {
      inText = marker[1] === 'W';
    } else if (inText) {
      const record = records.at(-1);
      if (record) record.text += `${line}\n`;
    }
  }
  return records;
}

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

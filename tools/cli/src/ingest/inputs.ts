/**
 * What `keel ingest <target>` loads: every file of a folder (recursively, dot files and
 * node_modules left out), the files a glob matches, one file, or each row of a `.jsonl` file.
 * Each input gets a stable key (its source), a stable document id derived from it (loading the
 * same file again updates the same document) and, once read, a content hash (unchanged inputs
 * are skipped on the next run).
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** How an input goes to the API: text types as JSON documents, every other file as an upload. */
export type Payload =
  | {
      kind: 'json';
      body: {
        text: string;
        title: string;
        source: string;
        documentId: string;
        contentType: string;
        metadata?: Record<string, string>;
      };
    }
  | { kind: 'file'; bytes: Uint8Array; fileName: string; title: string; source: string; documentId: string };

export interface Input {
  /** The state file's key: the source (and row of a .jsonl file). */
  key: string;
  source: string;
  /** Reads the content and hashes it; throws what makes the input rejected (unreadable, invalid row). */
  load(): Promise<{ hash: string; payload: Payload }>;
}

export interface InputOptions {
  cwd: string;
  /** Prepended to every source (for example `share://hr/`); default none. */
  sourcePrefix?: string;
  /** The field of a JSON Lines row holding its text, title and id. */
  rows: { textField: string; titleField: string; idField: string };
}

const JSON_TYPES: Record<string, string> = {
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
};

/** A document id the API accepts, stable for a source: `k` and 40 hex digits of its hash. */
export function documentIdFor(source: string): string {
  return `k${sha256(source).slice(0, 40)}`;
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export class InputError extends Error {}

export async function collectInputs(target: string, options: InputOptions): Promise<Input[]> {
  const files = await filesOf(target, options.cwd);
  const inputs: Input[] = [];
  for (const file of files) {
    const source = `${options.sourcePrefix ?? ''}${displayPath(file, options.cwd)}`;
    if (extname(file).toLowerCase() === '.jsonl') inputs.push(...(await rowsOf(file, source, options.rows)));
    else inputs.push(fileInput(file, source));
  }
  return inputs;
}

async function filesOf(target: string, cwd: string): Promise<string[]> {
  if (isDynamicPattern(target)) {
    const matched = await glob(target, { cwd, absolute: true, onlyFiles: true, ignore: ['**/node_modules/**'] });
    return matched.sort();
  }
  const path = resolve(cwd, target);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new InputError(`${target}: no such file or folder`);
  if (info.isFile()) return [path];
  const matched = await glob('**/*', {
    cwd: path,
    absolute: true,
    onlyFiles: true,
    dot: false,
    ignore: ['**/node_modules/**'],
  });
  return matched.sort();
}

/** Sources use forward slashes and are relative to the working directory when inside it. */
function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  const path = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  return path.split(sep).join('/');
}

function fileInput(file: string, source: string): Input {
  const contentType = JSON_TYPES[extname(file).toLowerCase()];
  return {
    key: source,
    source,
    async load() {
      const bytes = new Uint8Array(await readFile(file));
      const documentId = documentIdFor(source);
      const title = basename(file);
      const hash = sha256(bytes);
      if (contentType) {
        return {
          hash,
          payload: {
            kind: 'json',
            body: { text: new TextDecoder().decode(bytes), title, source, documentId, contentType },
          },
        };
      }
      return { hash, payload: { kind: 'file', bytes, fileName: basename(file), title, source, documentId } };
    },
  };
}

async function rowsOf(file: string, source: string, fields: InputOptions['rows']): Promise<Input[]> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
  const inputs: Input[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const row = index + 1;
    const key = `${source}#${row}`;
    inputs.push({
      key,
      source: key,
      async load() {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          throw new InputError(`row ${row} is not valid JSON`);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          throw new InputError(`row ${row} is not a JSON object`);
        }
        const record = parsed as Record<string, unknown>;
        const text = record[fields.textField];
        if (typeof text !== 'string') throw new InputError(`row ${row} has no string field "${fields.textField}"`);
        const id = record[fields.idField];
        const title = record[fields.titleField];
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(record)) {
          if ([fields.textField, fields.idField, fields.titleField].includes(name)) continue;
          // Only what the API accepts as metadata (keys of letters, digits, _ and -; short values).
          if (Object.keys(metadata).length >= 32 || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) continue;
          if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
          if (String(value).length <= 1024) metadata[name] = String(value);
        }
        // A row's own id names its document; otherwise the row's place in the file does.
        const documentId =
          typeof id === 'string' || typeof id === 'number' ? documentIdFor(`${source}#id=${id}`) : documentIdFor(key);
        return {
          hash: sha256(line),
          payload: {
            kind: 'json',
            body: {
              text,
              title: typeof title === 'string' ? title : `${basename(file)} row ${row}`,
              source: key,
              documentId,
              contentType: 'text/plain',
              ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
            },
          },
        };
      },
    });
  });
  return inputs;
}

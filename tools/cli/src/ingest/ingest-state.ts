/**
 * What a previous run did, kept in a JSON file so that an interrupted load resumes: per input,
 * the content hash, the document and job, and where it got to. An input whose hash is unchanged
 * and that was indexed is skipped; one that was accepted but not finished is followed (its job is
 * polled), not sent again. The file is replaced atomically (written aside, then renamed), so an
 * interruption never leaves it half-written.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type EntryStatus = 'accepted' | 'indexed' | 'rejected';

export interface StateEntry {
  hash: string;
  documentId: string;
  jobId?: string;
  status: EntryStatus;
  reason?: string;
  updatedAt: string;
}

interface StateFile {
  version: 1;
  /** The API the entries were loaded into: another URL starts from nothing. */
  url: string;
  entries: Record<string, StateEntry>;
}

export class IngestState {
  #dirty = false;
  #saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly file: StateFile,
  ) {}

  static async open(path: string, url: string): Promise<IngestState> {
    let file: StateFile = { version: 1, url, entries: {} };
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as StateFile;
      if (parsed.version === 1 && parsed.url === url && typeof parsed.entries === 'object') file = parsed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read the state file ${path}: ${(error as Error).message}`);
      }
    }
    return new IngestState(path, file);
  }

  get(key: string): StateEntry | undefined {
    return this.file.entries[key];
  }

  set(key: string, entry: Omit<StateEntry, 'updatedAt'>): void {
    this.file.entries[key] = { ...entry, updatedAt: new Date().toISOString() };
    this.#dirty = true;
  }

  /** Writes the file if anything changed; calls never overlap. */
  save(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      await mkdir(dirname(this.path), { recursive: true });
      const aside = `${this.path}.${process.pid}.tmp`;
      await writeFile(aside, `${JSON.stringify(this.file, null, 1)}\n`);
      await rename(aside, this.path);
    });
    return this.#saving;
  }
}

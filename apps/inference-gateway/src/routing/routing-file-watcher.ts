/**
 * Follows a file for changes without a restart: `fs.watch` on its directory (editors and
 * Kubernetes ConfigMaps replace a file by renaming or swapping a symlink, which a watch on the
 * file itself loses), debounced, plus a slow poll in case the platform drops events (network
 * file systems, some container runtimes). The content's SHA-256 decides whether anything
 * changed, so touches, no-op writes and duplicate events cost nothing. A file written in place
 * (truncated, then filled) can be read half-written, and half a YAML file may well parse: a
 * content is applied only once two reads a debounce apart agree.
 */
import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const contentHash = (text: string) => createHash('sha256').update(text).digest('hex');

export interface FileWatcher {
  /** Reads the file now (what the watch and the poll do); resolves once `onChange` has run. */
  check(): Promise<void>;
  close(): void;
}

export function watchFile(options: {
  path: string;
  /** The hash of the content already applied. */
  initialHash: string;
  /** A new content; a rejection is reported to `onError` and the same content is not retried until it changes. */
  onChange: (text: string, hash: string) => Promise<void>;
  /** The file could not be read (missing while being replaced, permissions). */
  onError: (error: unknown) => void;
  debounceMs?: number;
  pollMs?: number;
}): FileWatcher {
  const debounceMs = options.debounceMs ?? 250;
  // Between the two reads that must agree; no longer than a debounce, and never long.
  const settleMs = Math.min(debounceMs, 250);
  let seen = options.initialHash;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  async function check(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        let text: string;
        try {
          text = await settledContent();
        } catch (error) {
          options.onError(error);
          continue;
        }
        const hash = contentHash(text);
        if (hash === seen || closed) continue;
        seen = hash;
        await options.onChange(text, hash).catch(options.onError);
      } while (again && !closed);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  async function settledContent(): Promise<string> {
    let text = await readFile(options.path, 'utf8');
    if (contentHash(text) === seen) return text;
    for (let reads = 0; reads < 20; reads++) {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const again = await readFile(options.path, 'utf8');
      if (again === text) return text;
      text = again;
    }
    throw new Error('the file kept changing while it was read');
  }

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
    timer.unref();
  };

  let watcher: FSWatcher | undefined;
  try {
    // Any event in the directory may be ours: ConfigMaps swap `..data`, editors write temporary
    // names and rename them; the hash sorts out the rest.
    watcher = watch(dirname(options.path), { persistent: false }, () => {
      if (!closed) schedule();
    });
    watcher.on('error', () => {
      // The poll still follows the file.
    });
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(() => void check(), options.pollMs ?? 30_000);
  poll.unref();

  return {
    check,
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}

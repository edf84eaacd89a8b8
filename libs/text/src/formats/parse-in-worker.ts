/**
 * Parses files in worker threads with a wall-time limit: a PDF that would take minutes, or a
 * parser stuck in a loop, is stopped by terminating its worker (the only way to stop synchronous
 * code), and the file is rejected with PARSE.TIMEOUT. The worker's heap is capped too, so a file
 * that would exhaust memory is rejected (PARSE.TOO_LARGE) instead of taking the service down.
 * Workers are kept between files (loading pdf.js costs a few hundred milliseconds) and replaced
 * after a termination.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TextError, TextErrorCode } from '../errors.js';
import type { ParsedFile } from '../parsed-document.js';
import { DEFAULT_FORMAT_LIMITS, type FormatLimits } from './limits.js';
import type { ParseFileOptions } from './parse-file.js';
import type { ParseReply, ParseTask } from './parse-worker.js';

const KNOWN_CODES = new Set<string>(Object.values(TextErrorCode));

export interface FileParserOptions {
  limits?: Partial<FormatLimits>;
  /** Files parsed at once, each in its own worker (default 1). */
  concurrency?: number;
}

interface Pending {
  task: ParseTask;
  resolve(result: ParsedFile): void;
  reject(error: Error): void;
}

/** The worker module, in the form this file runs as (TypeScript through tsx, or built JavaScript). */
function workerSource(): { source: string | URL; eval: boolean } {
  const extension = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./parse-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return { source: url, eval: false };
  // A worker does not inherit a loader registered by the test runner: it registers tsx itself.
  return {
    source: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`,
    eval: true,
  };
}

class ParseSlot {
  private worker: Worker | undefined;
  private current: { pending: Pending; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly limits: FormatLimits) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  run(pending: Pending, done: () => void): void {
    const worker = this.worker ?? this.spawn();
    worker.ref();
    const timer = setTimeout(() => {
      this.fail(
        new TextError(
          TextErrorCode.ParseTimeout,
          `parsing took longer than ${this.limits.timeoutMs} ms and was stopped`,
        ),
      );
    }, this.limits.timeoutMs);
    this.current = {
      pending: {
        task: pending.task,
        resolve: (result) => {
          pending.resolve(result);
          done();
        },
        reject: (error) => {
          pending.reject(error);
          done();
        },
      },
      timer,
    };
    // A copy is transferred: the caller keeps its bytes.
    const bytes = new Uint8Array(pending.task.bytes);
    worker.postMessage({ ...pending.task, bytes }, [bytes.buffer]);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const { source, eval: isEval } = workerSource();
    const worker = new Worker(source, {
      eval: isEval,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.workerMemoryMb },
      stdout: false,
      stderr: false,
    });
    worker.on('message', (reply: ParseReply) => {
      const current = this.current;
      if (!current || current.pending.task.id !== reply.id) return;
      clearTimeout(current.timer);
      this.current = undefined;
      worker.unref();
      if (reply.ok) current.pending.resolve(reply.result);
      else {
        const code = reply.code && KNOWN_CODES.has(reply.code) ? (reply.code as TextErrorCode) : undefined;
        current.pending.reject(
          code ? new TextError(code, reply.message) : new TextError(TextErrorCode.CorruptDocument, reply.message),
        );
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      this.fail(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new TextError(
              TextErrorCode.DocumentTooLarge,
              `parsing needed more than ${this.limits.workerMemoryMb} MB of memory and was stopped`,
            )
          : new TextError(TextErrorCode.CorruptDocument, `the parser failed: ${error.message}`),
      );
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.fail(new TextError(TextErrorCode.CorruptDocument, 'the parser stopped unexpectedly'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private fail(error: TextError): void {
    const current = this.current;
    if (!current) return;
    clearTimeout(current.timer);
    this.current = undefined;
    const worker = this.worker;
    this.worker = undefined;
    // Terminating is what stops a parse that will not return; a fresh worker takes the next file.
    if (worker) void worker.terminate();
    current.pending.reject(error);
  }
}

export class FileParser {
  readonly limits: FormatLimits;
  private readonly slots: ParseSlot[];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: FileParserOptions = {}) {
    this.limits = { ...DEFAULT_FORMAT_LIMITS, ...options.limits };
    this.slots = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => new ParseSlot(this.limits));
  }

  /** Rejects with a `TextError` (PARSE.*) for a file that cannot or must not be indexed. */
  parse(bytes: Uint8Array, options: ParseFileOptions = {}): Promise<ParsedFile> {
    if (this.closed) return Promise.reject(new Error('the file parser is closed'));
    // Cheap checks need no worker.
    if (bytes.length > this.limits.maxBytes) {
      return Promise.reject(
        new TextError(
          TextErrorCode.DocumentTooLarge,
          `the file is ${bytes.length} bytes; at most ${this.limits.maxBytes} are accepted`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, bytes, options, limits: this.limits }, resolve, reject });
      this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the file parser is closed'));
    await Promise.all(this.slots.map((slot) => slot.close()));
  }

  private drain(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.run(next, () => this.drain());
    }
  }
}

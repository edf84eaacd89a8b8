/**
 * Downloads a golden dataset's retraining data from a running evaluation service
 * (`GET /v1/datasets/:datasetId/training-data`) into a chat fine-tuning JSONL file, streamed to
 * disk in constant memory.
 *
 *   KEEL_API_KEY=... npx tsx apps/evaluation/src/cli/export-training-data.ts reviewed-answers \
 *     [--kind positives|negatives] [--out train.jsonl] [--url http://127.0.0.1:8083]
 *
 * The file is written under a temporary name and renamed when the whole export arrived, so a cut
 * connection never leaves a plausible, partial training set behind. Without --out the lines go to
 * stdout. Exit status: 0 exported; 1 the service refused or failed (its problem detail printed);
 * 2 bad usage (no key, an unknown option).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { invokedDirectly } from './invoked-directly.js';

export interface ExportIo {
  stdout: Writable;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const USAGE =
  'usage: export-training-data <datasetId> [--kind positives|negatives] [--out file.jsonl] [--url http://127.0.0.1:8083]\n' +
  '       (the API key comes from KEEL_API_KEY)\n';

interface Options {
  datasetId: string;
  kind: 'positives' | 'negatives';
  out: string | undefined;
  url: string;
  key: string;
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kind: { type: 'string', default: 'positives' },
      out: { type: 'string' },
      url: { type: 'string', default: env.EVALUATION_URL ?? 'http://127.0.0.1:8083' },
    },
  });
  if (positionals.length !== 1 || !positionals[0]) throw new Error('expected exactly one dataset id');
  if (values.kind !== 'positives' && values.kind !== 'negatives') {
    throw new Error('--kind expects positives or negatives');
  }
  const key = env.KEEL_API_KEY ?? '';
  if (key === '') throw new Error('set KEEL_API_KEY to an API key of the tenant');
  return { datasetId: positionals[0], kind: values.kind, out: values.out, url: values.url ?? '', key };
}

/** Counts lines as they pass, for the summary. */
function lineCounter(): { stream: (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer>; lines: () => number } {
  let lines = 0;
  return {
    async *stream(source) {
      for await (const chunk of source) {
        for (const byte of chunk) if (byte === 0x0a) lines++;
        yield chunk;
      }
    },
    lines: () => lines,
  };
}

/** Runs the CLI; returns the exit status instead of exiting, so tests can call it. */
export async function runExportTrainingData(argv: string[], io: ExportIo): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv, io.env);
  } catch (error) {
    io.stderr(`export-training-data: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }

  const url = new URL(
    `/v1/datasets/${encodeURIComponent(options.datasetId)}/training-data?kind=${options.kind}`,
    options.url,
  );
  const partial = options.out ? `${options.out}.partial` : undefined;
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${options.key}` } });
    if (response.status !== 200 || !response.body) {
      const body = await response.text();
      let detail = body;
      try {
        const problem = JSON.parse(body) as { detail?: string; title?: string };
        detail = problem.detail ?? problem.title ?? body;
      } catch {
        // Not problem+json: the body as it came.
      }
      io.stderr(`export-training-data: ${url.origin} answered ${response.status}: ${detail}\n`);
      return 1;
    }
    const counter = lineCounter();
    const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    if (partial && options.out) {
      await pipeline(source, counter.stream, createWriteStream(partial));
      await rename(partial, options.out);
    } else {
      await pipeline(source, counter.stream, io.stdout, { end: false });
    }
    io.stderr(
      `export-training-data: ${counter.lines()} ${options.kind} of ${options.datasetId}${options.out ? ` in ${options.out}` : ''}\n`,
    );
    return 0;
  } catch (error) {
    if (partial) await rm(partial, { force: true });
    io.stderr(`export-training-data: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (invokedDirectly(import.meta.url)) {
  process.exitCode = await runExportTrainingData(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
}

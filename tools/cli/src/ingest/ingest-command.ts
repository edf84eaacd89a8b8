/**
 * `keel ingest <folder|glob|file.jsonl>`: loads documents through the public HTTP API
 * (`KEEL_INGEST_URL`, `KEEL_API_KEY`, or the flags), prints progress and a summary, and keeps a
 * state file so that a second run skips what is unchanged and an interrupted one resumes.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../command-io.js';
import { IngestState } from './ingest-state.js';
import { collectInputs, InputError } from './inputs.js';
import { KeelClient } from './keel-client.js';
import { startProgress } from './progress.js';
import { type IngestSummary, runIngest } from './run-ingest.js';

export const DEFAULT_URL = 'http://127.0.0.1:8081';
const DEFAULT_STATE = '.keel/ingest-state.json';

const HELP = `usage: keel ingest <folder|glob|file.jsonl> [options]

Loads every file of a folder (recursively), the files a glob matches, or each row of a .jsonl
file through POST /v1/documents. Text and Markdown files, and JSON Lines rows, are sent as JSON
documents; other files (PDF, DOCX, HTML, CSV...) are uploaded and their type is detected by the
service from their bytes. Unchanged files are skipped on the next run; an interrupted run resumes.

options:
  --url <url>            ingestion API (KEEL_INGEST_URL, default ${DEFAULT_URL})
  --api-key <key>        API key (KEEL_API_KEY)
  --concurrency <n>      documents in flight at once (default 8, at most 64)
  --state <file>         state file (default ${DEFAULT_STATE})
  --source-prefix <p>    prepended to every source, e.g. share://hr/ (delete by prefix uses it)
  --acl-group <group>    restrict the documents to a group (repeatable)
  --text-field <name>    JSON Lines: field holding the text (default text)
  --title-field <name>   JSON Lines: field holding the title (default title)
  --id-field <name>      JSON Lines: field holding a stable id (default id)
  --no-progress          plain progress lines even on a terminal
  -h, --help             this help

exit status: 0 when everything is indexed or unchanged, 1 when some input was rejected or failed
(or the run was interrupted), 2 for a usage error.`;

export async function ingestCommand(args: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.err(`keel ingest: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`keel ingest: expected one folder, glob or .jsonl file\n\n${HELP}`);
    return 2;
  }
  const url = (values.url ?? io.env.KEEL_INGEST_URL ?? DEFAULT_URL).replace(/\/+$/, '');
  const apiKey = values['api-key'] ?? io.env.KEEL_API_KEY;
  if (!apiKey) {
    io.err('keel ingest: no API key: set KEEL_API_KEY or pass --api-key');
    return 2;
  }
  const concurrency = Number(values.concurrency ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    io.err('keel ingest: --concurrency must be a whole number from 1 to 64');
    return 2;
  }

  let inputs: Awaited<ReturnType<typeof collectInputs>>;
  try {
    inputs = await collectInputs(positionals[0] as string, {
      cwd: io.cwd,
      ...(values['source-prefix'] ? { sourcePrefix: values['source-prefix'] } : {}),
      rows: {
        textField: values['text-field'] ?? 'text',
        titleField: values['title-field'] ?? 'title',
        idField: values['id-field'] ?? 'id',
      },
    });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.err(`keel ingest: ${error.message}`);
    return 2;
  }
  const state = await IngestState.open(resolve(io.cwd, values.state ?? DEFAULT_STATE), url);
  const client = new KeelClient(url, apiKey, values['acl-group']);
  io.err(`keel ingest: ${inputs.length} input(s) to ${url}`);
  const progress = startProgress(io, inputs.length, !values['no-progress']);
  const summary = await runIngest(
    inputs,
    { client, state, progress },
    { concurrency, ...(io.signal ? { signal: io.signal } : {}) },
  );
  printSummary(io, summary, state.path);
  const clean = summary.rejected === 0 && summary.failed === 0 && !summary.interrupted;
  return clean ? 0 : 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      concurrency: { type: 'string' },
      state: { type: 'string' },
      'source-prefix': { type: 'string' },
      'acl-group': { type: 'string', multiple: true },
      'text-field': { type: 'string' },
      'title-field': { type: 'string' },
      'id-field': { type: 'string' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export function printSummary(io: CommandIo, summary: IngestSummary, statePath: string): void {
  const rate = summary.seconds > 0 ? (summary.indexed + summary.unchanged + summary.rejected) / summary.seconds : 0;
  io.out(
    `${summary.interrupted ? 'interrupted' : 'done'} in ${summary.seconds.toFixed(1)} s (${rate.toFixed(1)} inputs/s): ` +
      `${summary.indexed} indexed, ${summary.unchanged} unchanged, ${summary.rejected} rejected, ${summary.failed} failed` +
      (summary.notStarted > 0 ? `, ${summary.notStarted} not started` : '') +
      `; ${summary.submitted} sent`,
  );
  for (const { source, reason } of summary.rejections.slice(0, 50)) io.out(`  not indexed ${source}: ${reason}`);
  if (summary.rejections.length > 50) io.out(`  ... and ${summary.rejections.length - 50} more`);
  if (summary.interrupted) io.out(`run the same command again to resume (state: ${statePath})`);
}

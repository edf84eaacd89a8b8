/** The worker thread behind `FileParser`: parses one file per message, answers with the result or the error. */
import { parentPort } from 'node:worker_threads';
import type { FormatLimits } from './limits.js';
import { type ParseFileOptions, parseFile } from './parse-file.js';

export interface ParseTask {
  id: number;
  bytes: Uint8Array;
  options: ParseFileOptions;
  limits: FormatLimits;
}

export type ParseReply =
  | { id: number; ok: true; result: Awaited<ReturnType<typeof parseFile>> }
  | { id: number; ok: false; code: string | undefined; message: string };

parentPort?.on('message', async (task: ParseTask) => {
  let reply: ParseReply;
  try {
    reply = { id: task.id, ok: true, result: await parseFile(task.bytes, task.options, task.limits) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    reply = {
      id: task.id,
      ok: false,
      code: typeof code === 'string' ? code : undefined,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  parentPort?.postMessage(reply);
});

/** What a command reads and writes besides files: injected so that tests run commands in-process. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** The terminal a progress bar may redraw; absent when output is a pipe or a file. */
  tty?: NodeJS.WriteStream;
  /** Aborted on Ctrl-C: a command stops taking work, saves its state and reports. */
  signal?: AbortSignal;
}

export function processIo(): CommandIo {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
    ...(process.stderr.isTTY ? { tty: process.stderr } : {}),
    signal: controller.signal,
  };
}

/**
 * `keel <command> ...`: one small dispatcher. Each command lives in its own folder and is loaded
 * only when asked for; adding one is one entry in `commands`.
 */
import type { CommandIo } from './command-io.js';
import { processIo } from './command-io.js';

export interface Command {
  summary: string;
  run(args: string[], io: CommandIo): Promise<number>;
}

export const commands: Record<string, Command> = {
  ingest: {
    summary: 'load a folder, a glob or a .jsonl file through the ingestion HTTP API',
    run: async (args, io) => (await import('./ingest/ingest-command.js')).ingestCommand(args, io),
  },
  eval: {
    summary: 'run a golden data set through the gateway, score it, report and gate on regressions',
    run: async (args, io) => (await import('./eval/eval-command.js')).evalCommand(args, io),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'usage: keel <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'keel <command> --help shows the options of a command.',
  ].join('\n');
}

/** Runs a command line; resolves with the exit code (0 ok, 1 some documents not indexed, 2 usage). */
export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`keel: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(rest, io);
}

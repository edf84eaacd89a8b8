/**
 * Starts a server the benchmark measures as a child process, waits until it answers, reports its
 * resident memory and stops it. Output is kept (last lines only) to explain a failed start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildServer {
  name: string;
  pid: number;
  /** The first line the process printed that parsed as JSON, when `jsonLine` was asked for. */
  firstJsonLine?: Record<string, unknown>;
  rssMb(): number;
  /** CPU time (user + system) the process has used so far, in ms (NaN where /proc is missing). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Resolves true once the server is ready; polled every 200 ms. */
  ready?: () => Promise<boolean>;
  /** Wait for a JSON line on stdout instead of (or before) `ready`. */
  jsonLine?: boolean;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(options.command, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  let firstJsonLine: Record<string, unknown> | undefined;
  const remember = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (options.jsonLine && firstJsonLine === undefined) {
        try {
          firstJsonLine = JSON.parse(line) as Record<string, unknown>;
        } catch {
          // Not the line we wait for.
        }
      }
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const isReady = async () => {
    if (options.jsonLine && firstJsonLine === undefined) return false;
    return options.ready ? options.ready().catch(() => false) : true;
  };
  while (!(await isReady())) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start:\n${tail.join('\n')}`);
    }
    await sleep(200);
  }
  const pid = child.pid ?? 0;
  return {
    name: options.name,
    pid,
    ...(firstJsonLine ? { firstJsonLine } : {}),
    rssMb: () => residentMb(pid),
    cpuMs: () => cpuMs(pid),
    stop: () => stopChild(child),
  };
}

function residentMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (100 per second on Linux). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(forced);
}

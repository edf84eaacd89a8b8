/**
 * Starts Keel services as separate operating-system processes, the way a cluster runs them,
 * and keeps their output so a failing test can show what each service said.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

export interface ServiceProcessOptions {
  /**
   * Its own process group: a terminal's Ctrl-C then reaches only the parent, which stops the
   * services itself, in order, with one signal each.
   */
  detached?: boolean;
  /** Receives each complete output line (stdout and stderr), e.g. to print it under the service's name. */
  onLine?: (line: string) => void;
}

export function startServiceProcess(
  name: string,
  env: NodeJS.ProcessEnv,
  options: ServiceProcessOptions = {},
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `apps/${name}/src/main.ts`], {
    cwd: repositoryRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const output: string[] = [];
  const keepLines = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    const keep = (lines: string[]) => {
      for (const line of lines.filter(Boolean)) options.onLine?.(line);
      output.push(...lines.filter(Boolean));
      if (output.length > 400) output.splice(0, output.length - 400);
    };
    // A chunk may end inside a line: the rest of that line comes with the next chunk.
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      keep(lines);
    });
    stream?.on('end', () => keep([partial]));
  };
  keepLines(child.stdout);
  keepLines(child.stderr);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, output, exited };
}

/** SIGTERM, as Kubernetes does; SIGKILL only if the graceful drain hangs. */
export async function stopServiceProcess(service: ServiceProcess, graceMs = 15_000): Promise<number | null> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return service.child.exitCode;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  const code = await service.exited;
  clearTimeout(timer);
  return code;
}

/** Whether something on this machine already listens on host:port (so a service could not bind it). */
export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(true) : reject(error),
    );
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves once GET url answers 200, or fails with the service's last output lines. */
export async function waitUntilReady(service: ServiceProcess, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) {
      throw new Error(
        `${service.name} exited with ${service.child.exitCode}:\n${service.output.slice(-30).join('\n')}`,
      );
    }
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.name} not ready at ${url} (${last}):\n${service.output.slice(-30).join('\n')}`);
}

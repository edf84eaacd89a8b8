#!/usr/bin/env node
// `npm start`: installs what is missing, builds the reviewer console when its bundle is missing or
// older than its sources, then runs all six services in one process on embedded defaults (no
// Kafka, MongoDB or Qdrant needed) with the demo corpus, and prints the URLs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const install = spawnSync('bash', ['tools/scripts/ensure-install.sh'], { cwd: root, stdio: 'inherit' });
if (install.status !== 0) process.exit(install.status ?? 1);

// Imported only after the install: the build needs Vite from node_modules.
const { ensureConsoleBuilt } = await import('./console-build.mjs');
try {
  await ensureConsoleBuilt({ log: console.log });
} catch (error) {
  console.error(`the reviewer console could not be built: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}

const platform = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'tools/local-platform/src/main.ts', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: process.env },
);
process.exit(platform.status ?? (platform.signal ? 0 : 1));

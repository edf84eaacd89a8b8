#!/usr/bin/env node
// `npm start`: installs what is missing, then runs all six services in one process on embedded
// defaults (no Kafka, MongoDB or Qdrant needed) with the demo corpus, and prints the URLs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const install = spawnSync('bash', ['tools/scripts/ensure-install.sh'], { cwd: root, stdio: 'inherit' });
if (install.status !== 0) process.exit(install.status ?? 1);

const platform = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'tools/local-platform/src/main.ts', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: process.env },
);
process.exit(platform.status ?? (platform.signal ? 0 : 1));

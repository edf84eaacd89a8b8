#!/usr/bin/env node
// Builds the reviewer console (apps/review-console, React + Vite) when its dist is missing or older
// than anything it is built from. Shared by `npm start`, CI, the browser tests and the console
// benchmark, so that none of them serves a stale bundle and none rebuilds a fresh one.
//
//   node tools/scripts/console-build.mjs          build when stale, print what happened
//   node tools/scripts/console-build.mjs --force  build regardless
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export const consoleDir = join(root, 'apps', 'review-console');
export const consoleDistDir = join(consoleDir, 'dist');

// What a build reads besides node_modules: sources, the page, static assets and the configs.
const inputs = ['src', 'public', 'index.html', 'package.json', 'vite.config.ts', 'vite.config.mts', 'tsconfig.json'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) {
    // Component tests sit beside the components and are not part of the bundle.
    if (/\.test\.tsx?$/.test(entry)) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/**
 * Why the console needs a build, or undefined when its dist is newer than every input (or there is
 * no console at `dir`). `dir` is for tests.
 */
export function consoleBuildReason(dir = consoleDir) {
  if (!existsSync(join(dir, 'package.json'))) return undefined;
  const index = join(dir, 'dist', 'index.html');
  if (!existsSync(index)) return 'no build yet';
  const built = statSync(index).mtimeMs;
  const newestInput = Math.max(...inputs.map((input) => newestMtime(join(dir, input))));
  return newestInput > built ? 'sources changed since the last build' : undefined;
}

const lockDir = join(root, '.keel', 'console-build.lock');
const lockStaleMs = 5 * 60_000;

// Two runners (two test files, `npm start` beside `npm test`) must not write one dist at once: a
// directory made with mkdir is the lock; one left by a killed build expires.
async function withBuildLock(body) {
  mkdirSync(join(root, '.keel'), { recursive: true });
  const deadline = Date.now() + lockStaleMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (existsSync(lockDir) ? statSync(lockDir).mtimeMs : Date.now());
      if (age > lockStaleMs || Date.now() > deadline) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Builds the console with Vite's JS API when needed (or always with `force`). Resolves to what
 * happened: `{ built: false }` when the dist was fresh, `{ built: true, reason, ms }` otherwise.
 */
export async function ensureConsoleBuilt({ force = false, log = () => {} } = {}) {
  if (!existsSync(join(consoleDir, 'package.json'))) {
    throw new Error(`the reviewer console is missing: no ${join(consoleDir, 'package.json')}`);
  }
  if (!force && !consoleBuildReason()) return { built: false };
  return withBuildLock(async () => {
    // Another runner may have built it while this one waited for the lock.
    const reason = force ? 'forced' : consoleBuildReason();
    if (!reason) return { built: false };
    log(`building the reviewer console (${reason})...`);
    const started = performance.now();
    const { build } = await import('vite');
    await build({ root: consoleDir, logLevel: 'warn', mode: 'production' });
    return { built: true, reason, ms: Math.round(performance.now() - started) };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await ensureConsoleBuilt({ force: process.argv.includes('--force'), log: console.log });
  console.log(
    result.built
      ? `reviewer console built in ${(result.ms / 1000).toFixed(1)} s (${consoleDistDir})`
      : `reviewer console is up to date (${consoleDistDir})`,
  );
}

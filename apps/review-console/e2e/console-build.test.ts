/** When `npm start`, CI and the browser tests rebuild the console: only when its dist is missing or stale. */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { consoleBuildReason } from '../../../tools/scripts/console-build.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A console at `minutes ago`: package.json, a source, a component test and a built index.html. */
function consoleAt(times: { source: number; test?: number; built?: number }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-console-build-'));
  dirs.push(dir);
  const at = (path: string, minutesAgo: number) => {
    const when = new Date(Date.now() - minutesAgo * 60_000);
    utimesSync(path, when, when);
  };
  mkdirSync(join(dir, 'src', 'lead'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{}');
  at(join(dir, 'package.json'), 60);
  writeFileSync(join(dir, 'src', 'lead', 'LeadItems.tsx'), 'export {};');
  at(join(dir, 'src', 'lead', 'LeadItems.tsx'), times.source);
  if (times.test !== undefined) {
    writeFileSync(join(dir, 'src', 'lead', 'LeadItems.test.tsx'), 'export {};');
    at(join(dir, 'src', 'lead', 'LeadItems.test.tsx'), times.test);
  }
  for (const folder of [join(dir, 'src', 'lead'), join(dir, 'src')]) at(folder, 60);
  if (times.built !== undefined) {
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>');
    at(join(dir, 'dist', 'index.html'), times.built);
  }
  return dir;
}

describe('whether the console needs a build', () => {
  it('builds when there is no dist yet', () => {
    expect(consoleBuildReason(consoleAt({ source: 10 }))).toBe('no build yet');
  });

  it('builds when a source changed after the last build', () => {
    expect(consoleBuildReason(consoleAt({ source: 5, built: 10 }))).toBe('sources changed since the last build');
  });

  it('keeps a dist newer than every source, whatever the component tests did', () => {
    expect(consoleBuildReason(consoleAt({ source: 20, test: 1, built: 10 }))).toBeUndefined();
  });

  it('has nothing to build where there is no console', () => {
    const empty = mkdtempSync(join(tmpdir(), 'keel-no-console-'));
    dirs.push(empty);
    expect(consoleBuildReason(empty)).toBeUndefined();
  });
});

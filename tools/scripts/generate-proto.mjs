#!/usr/bin/env node
// Regenerates libs/contracts/src/generated from proto/ with buf + ts-proto (offline: buf
// ships in its npm package). With --check it generates into a temporary folder and fails
// when the committed output differs, so CI catches hand edits and forgotten regenerations.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const generatedDir = join(root, 'libs/contracts/src/generated');
const check = process.argv.includes('--check');

function buf(args) {
  execFileSync(join(root, 'node_modules/.bin/buf'), args, { cwd: root, stdio: 'inherit' });
}

function listFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map((entry) => join(dir, String(entry)))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path))
    .sort();
}

function generate(outputBase) {
  buf(['lint']);
  buf(['generate', '--output', outputBase]);
}

if (!check) {
  rmSync(generatedDir, { recursive: true, force: true });
  generate(root);
  console.log(`generated ${listFiles(generatedDir).length} files into ${relative(root, generatedDir)}`);
} else {
  const scratch = mkdtempSync(join(tmpdir(), 'keel-proto-'));
  try {
    generate(scratch);
    const fresh = join(scratch, 'libs/contracts/src/generated');
    const expected = listFiles(fresh);
    const actual = listFiles(generatedDir);
    const drift = [
      ...expected.filter((file) => !actual.includes(file)).map((file) => `missing: ${file}`),
      ...actual.filter((file) => !expected.includes(file)).map((file) => `not generated: ${file}`),
      ...expected
        .filter((file) => actual.includes(file))
        .filter((file) => readFileSync(join(fresh, file), 'utf8') !== readFileSync(join(generatedDir, file), 'utf8'))
        .map((file) => `differs: ${file}`),
    ];
    if (drift.length > 0) {
      console.error(
        `generated contracts drifted from proto/ (run \`npm run proto:generate\`):\n  ${drift.join('\n  ')}`,
      );
      process.exit(1);
    }
    console.log(`generated contracts match proto/ (${expected.length} files)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

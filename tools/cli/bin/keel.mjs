#!/usr/bin/env node
// The `keel` command: TypeScript sources run through tsx, like every Keel entry point.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));

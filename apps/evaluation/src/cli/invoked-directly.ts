/**
 * Whether the module at `moduleUrl` (its `import.meta.url`) is the script node was started with,
 * as opposed to imported by a test or the keel CLI: the evaluation scripts run themselves only then.
 * Paths are compared resolved, so a symlinked checkout or `npx tsx` still counts.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function invokedDirectly(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

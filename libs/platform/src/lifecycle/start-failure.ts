import { ConfigError } from '../config/config-error.js';
import { KeelError } from '../errors/keel-error.js';

export interface StartFailure {
  /** One line for the operator, e.g. `ingestion: cannot start: kafka unavailable: ...`. */
  line: string;
  /**
   * True for failures the operator fixes in the environment (configuration, an unreachable
   * dependency, a port in use): the line says it all and a stack would only bury it.
   */
  expected: boolean;
}

const expectedCodePrefixes = ['DEPENDENCY.', 'STARTUP.', 'CONFIG.'];

/** The stable code of an error: KeelError's, or a `code` string that adapters set on their own errors. */
function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function isExpected(error: unknown): boolean {
  if (error instanceof ConfigError) return true;
  if (error instanceof KeelError && error.dependency !== undefined) return true;
  // Adapters (Kafka, MongoDB...) may not depend on this kit; their errors follow the code convention.
  const code = codeOf(error);
  if (code === undefined) return false;
  return expectedCodePrefixes.some((prefix) => code.startsWith(prefix)) || /[._]UNAVAILABLE$/.test(code);
}

/** How runService reports a failed start; a pure function so that it can be tested. */
export function describeStartFailure(serviceName: string, error: unknown): StartFailure {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]?.trim() || 'unknown error';
  return { line: `${serviceName}: cannot start: ${firstLine}`, expected: isExpected(error) };
}

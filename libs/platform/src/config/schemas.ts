import { z } from 'zod';

/**
 * Reusable pieces for environment schemas. Each accepts the raw string (or nothing), treats an
 * empty string like an unset variable (Helm and compose files often render `VAR: ""`), and
 * reports what it expected without repeating the value: loadConfig appends the value itself,
 * unless the variable looks like a secret.
 */
const rawValue = z.union([z.string(), z.number()]).optional();

function isUnset(value: string | number | undefined): value is undefined | '' {
  return value === undefined || (typeof value === 'string' && value.trim() === '');
}

/** A TCP port; `0` asks the OS for any free port (tests, the one-process launcher). */
export function portSchema(defaultPort: number) {
  return rawValue.transform((value, ctx): number => {
    if (isUnset(value)) return defaultPort;
    const text = String(value).trim();
    const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
    if (!(port >= 0 && port <= 65535)) {
      ctx.addIssue({ code: 'custom', message: 'expected a port number (0-65535, 0 = any free port)' });
      return z.NEVER;
    }
    return port;
  });
}

/** An absolute URL, or undefined when unset (unset usually selects an embedded adapter). */
export function optionalUrl(options: { protocols?: readonly string[] } = {}) {
  return rawValue.transform((value, ctx): string | undefined => {
    if (isUnset(value)) return undefined;
    const text = String(value).trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected an absolute URL such as http://host:port' });
      return z.NEVER;
    }
    const protocol = url.protocol.replace(/:$/, '');
    if (options.protocols && !options.protocols.includes(protocol)) {
      ctx.addIssue({ code: 'custom', message: `expected a ${options.protocols.join(' or ')} URL` });
      return z.NEVER;
    }
    return text;
  });
}

/** A comma-separated list (`a, b,c` → `['a', 'b', 'c']`); blanks are dropped. */
export function csvList(defaultValue: readonly string[] = []) {
  return rawValue.transform((value): string[] => {
    if (isUnset(value)) return [...defaultValue];
    return String(value)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  });
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: `1500`, `1500ms`, `2s`, `5m` or `1h`. */
export function durationMs(defaultMs: number) {
  return rawValue.transform((value, ctx): number => {
    if (isUnset(value)) return defaultMs;
    const match = /^(\d+)\s*(ms|s|m|h)?$/.exec(String(value).trim());
    if (!match) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a duration in milliseconds, or with a unit (500ms, 2s, 5m, 1h)',
      });
      return z.NEVER;
    }
    return Number(match[1]) * (durationUnits[match[2] ?? 'ms'] ?? 1);
  });
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

/** A boolean switch: true/false, 1/0, yes/no, on/off. */
export function booleanFlag(defaultValue: boolean) {
  return rawValue.transform((value, ctx): boolean => {
    if (isUnset(value)) return defaultValue;
    const text = String(value).trim().toLowerCase();
    if (truthy.has(text)) return true;
    if (falsy.has(text)) return false;
    ctx.addIssue({ code: 'custom', message: 'expected true or false' });
    return z.NEVER;
  });
}

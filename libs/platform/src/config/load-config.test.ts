import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseApiKeysSpec } from '../http/api-keys.js';
import { ConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import { booleanFlag, csvList, durationMs, optionalUrl, portSchema } from './schemas.js';

const schema = z.object({
  HTTP_PORT: portSchema(8080),
  QDRANT_URL: optionalUrl(),
  KAFKA_BROKERS: csvList(),
  SHUTDOWN_GRACE_MS: durationMs(10_000),
  KEEL_FEATURE: booleanFlag(false),
  SERVICE_TOKEN: z.string().min(8).optional(),
  MONGODB_DATABASE: z.string(),
});

function failureOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  it('parses the environment into typed values with defaults', () => {
    const config = loadConfig(schema, {
      KAFKA_BROKERS: 'a:9092, b:9092,,',
      SHUTDOWN_GRACE_MS: '2s',
      KEEL_FEATURE: 'yes',
      MONGODB_DATABASE: 'keel_ingestion',
      QDRANT_URL: '',
    });
    expect(config).toEqual({
      HTTP_PORT: 8080,
      QDRANT_URL: undefined,
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      SHUTDOWN_GRACE_MS: 2000,
      KEEL_FEATURE: true,
      MONGODB_DATABASE: 'keel_ingestion',
    });
  });

  it('names the bad variable, what it expected and the value it got', () => {
    const error = failureOf({ HTTP_PORT: 'abc', MONGODB_DATABASE: 'db' });
    expect(error.message).toBe(
      'invalid configuration: HTTP_PORT: expected a port number (0-65535, 0 = any free port), got "abc"',
    );
    expect(error.issues).toEqual([
      { variable: 'HTTP_PORT', message: 'expected a port number (0-65535, 0 = any free port), got "abc"' },
    ]);
  });

  it('lists every bad variable, and says when a required one is missing', () => {
    const error = failureOf({ HTTP_PORT: '70000', QDRANT_URL: 'not a url', SHUTDOWN_GRACE_MS: 'soon' });
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'HTTP_PORT',
      'QDRANT_URL',
      'SHUTDOWN_GRACE_MS',
      'MONGODB_DATABASE',
    ]);
    expect(error.message).toContain('MONGODB_DATABASE: is required but not set');
    expect(error.message).toContain('QDRANT_URL: expected an absolute URL such as http://host:port, got "not a url"');
    expect(error.message).toContain('SHUTDOWN_GRACE_MS: expected a duration');
  });

  it('never repeats the value of a secret-looking variable', () => {
    const error = failureOf({ SERVICE_TOKEN: 'short', MONGODB_DATABASE: 'db' });
    expect(error.message).toContain('SERVICE_TOKEN:');
    expect(error.message).not.toContain('short');
  });

  it('lets a ConfigError thrown by a transform through, naming its variable without the key', () => {
    const keys = z.object({
      KEEL_API_KEYS: z
        .string()
        .default('')
        .transform((spec) => parseApiKeysSpec(spec)),
    });
    expect(loadConfig(keys, { KEEL_API_KEYS: 'k1=acme:ops|eng' }).KEEL_API_KEYS).toEqual([
      { key: 'k1', tenantId: 'acme', aclGroups: ['ops', 'eng'] },
    ]);
    expect(() => loadConfig(keys, { KEEL_API_KEYS: 'secret-key-without-tenant' })).toThrow(
      /^invalid configuration: KEEL_API_KEYS: entry 1: expected key=tenant/,
    );
    expect(() => loadConfig(keys, { KEEL_API_KEYS: 'secret-key-without-tenant' })).not.toThrow(/secret-key/);
  });
});

describe('schema pieces', () => {
  const parse = <T>(piece: z.ZodType<T>, value: string | undefined) => piece.safeParse(value);

  it('accepts port 0 (any free port) and rejects out-of-range or fractional ports', () => {
    expect(parse(portSchema(1), '0').data).toBe(0);
    expect(parse(portSchema(1), '65535').data).toBe(65535);
    expect(parse(portSchema(1), '65536').success).toBe(false);
    expect(parse(portSchema(1), '80.5').success).toBe(false);
    expect(parse(portSchema(1), '-1').success).toBe(false);
  });

  it('reads durations with units', () => {
    expect(parse(durationMs(1), '250').data).toBe(250);
    expect(parse(durationMs(1), '250ms').data).toBe(250);
    expect(parse(durationMs(1), '5m').data).toBe(300_000);
    expect(parse(durationMs(1), '1h').data).toBe(3_600_000);
    expect(parse(durationMs(1), undefined).data).toBe(1);
    expect(parse(durationMs(1), '2 weeks').success).toBe(false);
  });

  it('restricts URL schemes when asked', () => {
    expect(parse(optionalUrl({ protocols: ['mongodb'] }), 'mongodb://127.0.0.1:27017').data).toBe(
      'mongodb://127.0.0.1:27017',
    );
    expect(parse(optionalUrl({ protocols: ['mongodb'] }), 'http://x').success).toBe(false);
  });

  it('reads boolean flags strictly', () => {
    expect(parse(booleanFlag(true), 'off').data).toBe(false);
    expect(parse(booleanFlag(false), 'ON').data).toBe(true);
    expect(parse(booleanFlag(false), 'maybe').success).toBe(false);
  });

  it('returns a fresh default list each time', () => {
    const first = parse(csvList(['a']), undefined).data as string[];
    first.push('b');
    expect(parse(csvList(['a']), undefined).data).toEqual(['a']);
  });
});

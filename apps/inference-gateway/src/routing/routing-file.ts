/**
 * Reads the text of a routing file into a checked RoutingFile, or a RoutingFileError that names
 * the line, the column and the reason: YAML syntax errors keep yaml's own positions, and schema
 * and reference errors are mapped from their path back to the node that holds the value (or the
 * closest parent that exists, for a missing key). Nothing read from the environment (an API key)
 * ever appears in an error.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type RoutingFile, routingFileSchema } from './routing-file-schema.js';

export interface RoutingIssue {
  line: number;
  column: number;
  /** `models.chat.deployments.0.provider`, or empty at the root. */
  path: string;
  reason: string;
}

export class RoutingFileError extends Error {
  readonly issues: RoutingIssue[];

  constructor(source: string, issues: RoutingIssue[]) {
    const [first] = issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      first
        ? `${source}: line ${first.line}, column ${first.column}: ${first.path ? `${first.path}: ` : ''}${first.reason}${more}`
        : `${source}: invalid`,
    );
    this.name = 'RoutingFileError';
    this.issues = issues;
  }
}

export interface ReadRoutingOptions {
  /** Names the file in errors (its path). */
  source: string;
  /** Providers that exist without the file (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`): deployments may name them. */
  environmentProviders: readonly { name: string; kind: 'openai' | 'anthropic' }[];
  /** Whether an environment variable named by `apiKeyEnv` is set (its value never leaves the caller). */
  isSecretSet: (name: string) => boolean;
}

/** The largest routing file read: a platform team's file is a few kilobytes. */
export const maxRoutingFileBytes = 1_048_576;

type Path = readonly (string | number)[];

export function readRoutingFile(text: string, options: ReadRoutingOptions): RoutingFile {
  if (Buffer.byteLength(text) > maxRoutingFileBytes) {
    throw new RoutingFileError(options.source, [
      { line: 1, column: 1, path: '', reason: `the file is larger than ${maxRoutingFileBytes} bytes` },
    ]);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length > 0) {
    throw new RoutingFileError(
      options.source,
      document.errors.map((error) => ({
        ...position(error.pos[0]),
        path: '',
        reason: error.message.split('\n')[0] ?? error.code,
      })),
    );
  }

  /** The node at a path, or the closest existing parent; `key` points at the key of the last step. */
  const locate = (path: Path, key?: string): { line: number; column: number } => {
    let node: unknown = document.contents;
    const steps = key === undefined ? path : [...path, key];
    for (const [index, step] of steps.entries()) {
      const isLast = key !== undefined && index === steps.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(step),
        );
        if (!pair) break;
        node = isLast ? pair.key : pair.value;
      } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
        node = node.items[step];
      } else break;
    }
    const range = (node as Node | null | undefined)?.range;
    return position(range ? range[0] : 0);
  };

  const raw = document.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = routingFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new RoutingFileError(
      options.source,
      parsed.error.issues.map((issue) => {
        const path = issue.path.filter((step): step is string | number => typeof step !== 'symbol');
        const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
        return {
          ...locate(path, unknownKey),
          path: path.join('.'),
          reason:
            unknownKey === 'apiKey'
              ? 'a key is never written in the file: name the environment variable that holds it with apiKeyEnv'
              : issue.message,
        };
      }),
    );
  }
  const issues = referenceIssues(parsed.data, options).map(({ path, reason }) => ({
    ...locate(path),
    path: path.join('.'),
    reason,
  }));
  if (issues.length > 0) throw new RoutingFileError(options.source, issues);
  return parsed.data;
}

/** What the schema alone cannot see: names that must exist, names that must be unique. */
function referenceIssues(file: RoutingFile, options: ReadRoutingOptions): { path: Path; reason: string }[] {
  const issues: { path: Path; reason: string }[] = [];
  const kinds = new Map<string, 'openai' | 'anthropic'>();
  for (const provider of options.environmentProviders) kinds.set(provider.name, provider.kind);
  for (const [name, provider] of Object.entries(file.providers)) {
    kinds.set(name, provider.kind);
    if (provider.apiKeyEnv && !options.isSecretSet(provider.apiKeyEnv)) {
      issues.push({
        path: ['providers', name, 'apiKeyEnv'],
        reason: `names the environment variable ${provider.apiKeyEnv}, which is not set`,
      });
    }
    if (provider.kind === 'anthropic' && !provider.apiKeyEnv) {
      issues.push({ path: ['providers', name], reason: 'an anthropic provider needs apiKeyEnv' });
    }
  }
  const owners = new Map<string, string>();
  const claim = (name: string, owner: string, path: Path) => {
    const previous = owners.get(name);
    if (previous) issues.push({ path, reason: `the name ${name} is already used by ${previous}` });
    else owners.set(name, owner);
  };
  for (const name of Object.keys(file.models)) owners.set(name, `models.${name}`);
  for (const [name, route] of Object.entries(file.models)) {
    route.aliases.forEach((alias, index) => {
      claim(alias, `models.${name}`, ['models', name, 'aliases', index]);
    });
    route.deployments.forEach((deployment, index) => {
      const kind = kinds.get(deployment.provider);
      const path = ['models', name, 'deployments', index, 'provider'];
      if (!kind) {
        const known = [...kinds.keys()].join(', ') || 'none';
        issues.push({ path, reason: `unknown provider ${deployment.provider} (known: ${known})` });
      } else if (route.type === 'embedding' && kind !== 'openai') {
        issues.push({ path, reason: `${deployment.provider} is an ${kind} provider, which serves no embeddings` });
      }
    });
    if (route.deployments.every((deployment) => deployment.weight === 0)) {
      issues.push({ path: ['models', name, 'deployments'], reason: 'at least one deployment needs a weight above 0' });
    }
  }
  for (const [name, chain] of Object.entries(file.fallbacks)) {
    chain.forEach((target, index) => {
      if (target === name)
        issues.push({ path: ['fallbacks', name, index], reason: 'a model cannot fall back to itself' });
      const route = file.models[target] ?? Object.values(file.models).find((model) => model.aliases.includes(target));
      const from = file.models[name] ?? Object.values(file.models).find((model) => model.aliases.includes(name));
      if (route && from && route.type !== from.type) {
        issues.push({ path: ['fallbacks', name, index], reason: `${target} is a ${route.type} model, ${name} is not` });
      }
    });
  }
  const retries = file.retries;
  if (retries?.backoffBaseMs !== undefined && retries.backoffMaxMs !== undefined) {
    if (retries.backoffMaxMs < retries.backoffBaseMs) {
      issues.push({ path: ['retries', 'backoffMaxMs'], reason: 'must be at least backoffBaseMs' });
    }
  }
  const timeouts = file.timeouts;
  if (timeouts?.perAttemptMs !== undefined && timeouts.perAttemptMs < 1) {
    issues.push({ path: ['timeouts', 'perAttemptMs'], reason: 'must be at least 1 ms' });
  }
  if (
    timeouts?.perAttemptMs !== undefined &&
    timeouts.totalMs !== undefined &&
    timeouts.totalMs < timeouts.perAttemptMs
  ) {
    issues.push({ path: ['timeouts', 'totalMs'], reason: 'must be at least perAttemptMs' });
  }
  return issues;
}

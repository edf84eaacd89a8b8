/**
 * The policies a deployment starts with: a JSON seed file (`POLICY_SEED_FILE`), the denied
 * topics of `POLICY_DENIED_TOPICS`, and a built-in policy for the `demo` tenant. Explicit seeds
 * are applied at every start (new content → new version; unchanged → same version); the demo
 * default only fills an empty slot, so it never overrides a policy someone stored.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, z } from '@keel/platform';
import { isRulesPolicy, type PolicyDocument, type PolicyEngine, validatePolicyDocument } from '@keel/policy-engine';
import { compileIssues } from './policy-admin.js';
import type { PolicyRepository } from './policy-repository.js';
import { type PolicyContent, policyContentSchema, type TenantPolicy, topicSchema } from './tenant-policy.js';

const tenantIdSchema = z.string().regex(/^[\w.-]{1,128}$/, 'a tenant id of letters, digits, ".", "_" or "-"');

/** `{ "<tenant>": <policy document> }`: the JSON format (`{ deniedTopics, escalateTopics?, piiAction? }`) or rules. */
export const seedFileSchema = z.record(tenantIdSchema, z.unknown());

/** `{ "<tenant>": [{ name, phrases }] }` */
export const deniedTopicsSeedSchema = z.record(tenantIdSchema, z.array(topicSchema));

export type DeniedTopicsSeed = z.infer<typeof deniedTopicsSeedSchema>;

export const demoTenantId = 'demo';

export const demoPolicy: PolicyContent = {
  deniedTopics: [
    {
      name: 'weapons',
      phrases: ['build a bomb', 'make a bomb', 'pipe bomb', 'make explosives', 'untraceable gun', '3d printed gun'],
    },
    {
      name: 'malware',
      phrases: ['write ransomware', 'create ransomware', 'write a keylogger', 'create malware', 'write malware'],
    },
  ],
  escalateTopics: [
    { name: 'legal-dispute', phrases: ['lawsuit', 'legal action', 'my lawyer', 'my attorney'] },
    { name: 'account-closure', phrases: ['close my account', 'delete my account', 'cancel my contract'] },
  ],
  piiAction: 'redact',
};

export interface SeedSources {
  seedFile?: string;
  deniedTopics?: DeniedTopicsSeed;
}

/** Reads and validates the seed sources into one content per tenant (without the demo default). */
export async function loadSeeds(sources: SeedSources): Promise<Map<string, PolicyDocument>> {
  const seeds = new Map<string, PolicyDocument>();
  if (sources.seedFile) {
    const invalid = (message: string) =>
      new ConfigError([{ variable: 'POLICY_SEED_FILE', message: `${sources.seedFile}: ${message}` }]);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(sources.seedFile, 'utf8'));
    } catch (error) {
      throw invalid((error as Error).message);
    }
    const parsed = seedFileSchema.safeParse(raw);
    if (!parsed.success) throw invalid(z.prettifyError(parsed.error).replace(/\n/g, '; '));
    for (const [tenantId, raw] of Object.entries(parsed.data)) {
      const validated = validatePolicyDocument(raw);
      if (!validated.ok) {
        throw invalid(
          validated.issues
            .map((issue) => `${tenantId}${issue.path ? `.${issue.path}` : ''}: ${issue.message}`)
            .join('; '),
        );
      }
      seeds.set(tenantId, validated.document);
    }
  }
  for (const [tenantId, deniedTopics] of Object.entries(sources.deniedTopics ?? {})) {
    const base = seeds.get(tenantId) ?? policyContentSchema.parse({});
    if (isRulesPolicy(base)) {
      throw new ConfigError([
        {
          variable: 'POLICY_DENIED_TOPICS',
          message: `tenant ${tenantId}'s seed is a rules policy: write its denied topics as topic rules there`,
        },
      ]);
    }
    seeds.set(tenantId, { ...base, deniedTopics });
  }
  return seeds;
}

/** Stores the seeds and, when the seeds do not mention it, the demo tenant's default. */
export async function applySeeds(
  repository: PolicyRepository,
  seeds: ReadonlyMap<string, PolicyDocument>,
  engine?: PolicyEngine,
): Promise<TenantPolicy[]> {
  if (engine) {
    for (const [tenantId, document] of seeds) {
      const issues = compileIssues(engine, document);
      if (issues.length > 0) {
        throw new ConfigError([
          {
            variable: 'POLICY_SEED_FILE',
            message: issues.map((issue) => `${tenantId}: ${issue.path}: ${issue.message}`).join('; '),
          },
        ]);
      }
    }
  }
  const applied: TenantPolicy[] = [];
  for (const [tenantId, content] of seeds) applied.push((await repository.save(tenantId, content)).policy);
  if (!seeds.has(demoTenantId)) applied.push((await repository.saveIfAbsent(demoTenantId, demoPolicy)).policy);
  return applied;
}

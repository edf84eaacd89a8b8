import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
import { createPolicyEngine } from '@keel/policy-engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPolicyRepository, type PolicyRepository } from './policy-repository.js';
import { applySeeds, demoPolicy, loadSeeds } from './policy-seeds.js';

const weapons = { name: 'weapons', phrases: ['build a bomb'] };

describe('policy repository and seeds', () => {
  let store: DocumentStore;
  let repository: PolicyRepository;
  let now = 1_000;

  beforeEach(async () => {
    store = createEmbeddedDocumentStore({ path: ':memory:' });
    repository = await createPolicyRepository(store, () => now);
  });
  afterEach(() => store.close());

  it('gives a tenant without a policy the default one', async () => {
    expect(await repository.current('nobody')).toEqual({
      id: 'nobody',
      version: 0,
      deniedTopics: [],
      escalateTopics: [],
      piiAction: 'redact',
      updatedAt: 0,
    });
  });

  it('versions new content, keeps the version for unchanged content and keeps history', async () => {
    const first = await repository.save('acme', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'redact' });
    expect(first).toMatchObject({ changed: true, policy: { version: 1, updatedAt: 1_000 } });
    now = 2_000;
    const same = await repository.save('acme', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'redact' });
    expect(same).toMatchObject({ changed: false, policy: { version: 1, updatedAt: 1_000 } });
    const second = await repository.save('acme', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'block' });
    expect(second).toMatchObject({ changed: true, policy: { version: 2, piiAction: 'block', updatedAt: 2_000 } });
    expect(await repository.current('acme')).toMatchObject({ version: 2, piiAction: 'block' });
    const history = await store.collection('policy_versions');
    expect(
      (await history.find({ where: { tenantId: 'acme' }, orderBy: { field: 'version', direction: 'asc' } })).items.map(
        (v) => [v.id, v.piiAction],
      ),
    ).toEqual([
      ['acme@v1', 'redact'],
      ['acme@v2', 'block'],
    ]);
  });

  it('merges the seed file with POLICY_DENIED_TOPICS, which replaces denied topics', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-policy-'));
    const seedFile = join(directory, 'policies.json');
    writeFileSync(
      seedFile,
      JSON.stringify({
        acme: {
          deniedTopics: [weapons],
          escalateTopics: [{ name: 'legal', phrases: ['lawsuit'] }],
          piiAction: 'block',
        },
        globex: { deniedTopics: [] },
      }),
    );
    const seeds = await loadSeeds({ seedFile, deniedTopics: { acme: [{ name: 'malware', phrases: ['ransomware'] }] } });
    expect(seeds.get('acme')).toEqual({
      deniedTopics: [{ name: 'malware', phrases: ['ransomware'] }],
      escalateTopics: [{ name: 'legal', phrases: ['lawsuit'] }],
      piiAction: 'block',
    });
    expect(seeds.get('globex')).toEqual({ deniedTopics: [], escalateTopics: [], piiAction: 'redact' });
  });

  it('refuses an invalid seed file with a message naming the variable', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'keel-policy-'));
    const seedFile = join(directory, 'bad.json');
    writeFileSync(seedFile, JSON.stringify({ acme: { piiAction: 'shred' } }));
    await expect(loadSeeds({ seedFile })).rejects.toThrow(/POLICY_SEED_FILE: .*bad\.json.*piiAction/);
    await expect(loadSeeds({ seedFile: join(directory, 'missing.json') })).rejects.toThrow(/POLICY_SEED_FILE.*ENOENT/);
  });

  it('seeds the demo default only when the demo tenant has no policy', async () => {
    await applySeeds(repository, new Map());
    expect(await repository.current('demo')).toMatchObject({ version: 1, deniedTopics: demoPolicy.deniedTopics });
    await repository.save('demo', { deniedTopics: [], escalateTopics: [], piiAction: 'block' });
    await applySeeds(repository, new Map());
    expect(await repository.current('demo')).toMatchObject({ version: 2, piiAction: 'block' });
  });

  it('applies an explicit demo seed at every start', async () => {
    await applySeeds(repository, new Map());
    const seeds = new Map([['demo', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'redact' as const }]]);
    const [applied] = await applySeeds(repository, seeds);
    expect(applied).toMatchObject({ id: 'demo', version: 2, deniedTopics: [weapons] });
  });
  it('stores a rules policy with its YAML source, and pages versions newest first', async () => {
    const rules = { rules: [{ id: 'pii', detector: 'pii', action: 'redact' as const }] };
    await repository.save('acme', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'redact' });
    const saved = await repository.save('acme', rules, 'rules:\n  - { id: pii, detector: pii, action: redact }\n');
    expect(saved).toMatchObject({ changed: true, policy: { version: 2, rules: rules.rules } });
    expect(await repository.current('acme')).toMatchObject({
      version: 2,
      rules: rules.rules,
      source: expect.any(String),
    });
    // The same rules again: same version.
    expect((await repository.save('acme', rules)).changed).toBe(false);
    const first = await repository.versions('acme', { limit: 1 });
    expect(first.policies.map((policy) => policy.version)).toEqual([2]);
    const second = await repository.versions('acme', { limit: 1, cursor: first.nextCursor as string });
    expect(second.policies.map((policy) => [policy.version, policy.id])).toEqual([[1, 'acme']]);
    expect(await repository.version('acme', 1)).toMatchObject({ deniedTopics: [weapons] });
    expect(await repository.version('globex', 1)).toBeNull();
  });

  it('refuses the second of two changes racing for one version, and finishes a write a crash cut short', async () => {
    const versions = await store.collection('policy_versions');
    await repository.save('acme', { deniedTopics: [], escalateTopics: [], piiAction: 'redact' });
    // Another writer stored version 2 between this writer's read and its write.
    await versions.insert({
      id: 'acme@v2',
      tenantId: 'acme',
      version: 2,
      updatedAt: 5,
      deniedTopics: [],
      escalateTopics: [],
      piiAction: 'block',
    });
    await expect(
      repository.save('acme', { deniedTopics: [weapons], escalateTopics: [], piiAction: 'redact' }),
    ).rejects.toMatchObject({ code: 'POLICY.VERSION_CONFLICT', httpStatus: 409 });
    // The same content as the orphaned version record: the interrupted write completes.
    const repaired = await repository.save('acme', { deniedTopics: [], escalateTopics: [], piiAction: 'block' });
    expect(repaired).toMatchObject({ changed: true, policy: { version: 2, piiAction: 'block' } });
    expect(await repository.current('acme')).toMatchObject({ version: 2, piiAction: 'block' });
  });

  it("lists every tenant's current policy, a page at a time", async () => {
    for (const tenant of ['a', 'b', 'c'])
      await repository.save(tenant, { deniedTopics: [], escalateTopics: [], piiAction: 'redact' });
    const first = await repository.list({ limit: 2 });
    const second = await repository.list({ limit: 2, cursor: first.nextCursor as string });
    expect([...first.policies, ...second.policies].map((policy) => policy.id)).toEqual(['a', 'b', 'c']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('refuses a seed whose pattern RE2 cannot run, naming the variable', async () => {
    const seeds = new Map([
      ['acme', { rules: [{ id: 'x', detector: 'pattern', pattern: '(a)\\1', action: 'block' as const }] }],
    ]);
    await expect(applySeeds(repository, seeds, createPolicyEngine())).rejects.toThrow(
      /POLICY_SEED_FILE.*backreferences/,
    );
  });
});

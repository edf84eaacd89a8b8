import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentStore } from '@keel/doc-store';
import { createEmbeddedDocumentStore } from '@keel/doc-store/embedded';
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
});

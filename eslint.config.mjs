// ESLint runs only what Biome cannot: Nx module boundaries (tags) and the rule that domain code
// never reaches past a port to an adapter or a driver. Biome does formatting and general lint.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const drivers = ['kafkajs', 'mongodb', 'better-sqlite3', '@qdrant/*', '@lancedb/*', '@grpc/*', 'express'];
const adapters = [
  '@keel/adapters',
  '@keel/event-bus/kafka',
  '@keel/event-bus/embedded',
  '@keel/doc-store/mongodb',
  '@keel/doc-store/embedded',
  '@keel/vector-store/qdrant',
  '@keel/vector-store/embedded',
  '@keel/text/embedded',
  '@keel/text/openai',
  '@keel/models/embedded',
];

const boundaries = {
  enforceBuildableLibDependency: false,
  allow: [],
  depConstraints: [
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
    { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:contracts'] },
    // Text processing (tokenizing, chunking, embedders) is shared by ports (sparse vectors) and apps.
    { sourceTag: 'type:text', onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:testing'] },
    {
      sourceTag: 'type:port',
      onlyDependOnLibsWithTags: ['type:contracts', 'type:platform', 'type:text', 'type:testing'],
    },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
    // The reviewer console runs in a browser and talks HTTP only: none of the node libs.
    { sourceTag: 'type:web', onlyDependOnLibsWithTags: [] },
    // Domain engines shared by apps (the policy engine runs in policy and in the gateway): no I/O layers.
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contracts', 'type:text'] },
    // Adapter choice by configuration: only apps' compose.ts and launchers use it (see below).
    {
      sourceTag: 'type:composition',
      onlyDependOnLibsWithTags: ['type:port', 'type:text', 'type:platform', 'type:contracts'],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: [
        'type:composition',
        'type:contracts',
        'type:domain',
        'type:platform',
        'type:port',
        'type:text',
        'type:testing',
      ],
    },
    {
      sourceTag: 'type:launcher',
      onlyDependOnLibsWithTags: [
        'type:app',
        'type:composition',
        'type:contracts',
        'type:domain',
        'type:platform',
        'type:port',
        'type:text',
        'type:testing',
      ],
    },
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts'] },
    // The CLI speaks the public HTTP API only; its tests start a real ingestion service (see below).
    { sourceTag: 'type:cli', onlyDependOnLibsWithTags: ['type:platform', 'type:testing'] },
    { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
    { sourceTag: 'scope:ingestion', onlyDependOnLibsWithTags: ['scope:shared', 'scope:ingestion'] },
    { sourceTag: 'scope:retrieval', onlyDependOnLibsWithTags: ['scope:shared', 'scope:retrieval'] },
    {
      sourceTag: 'scope:inference-gateway',
      onlyDependOnLibsWithTags: ['scope:shared', 'scope:inference-gateway'],
    },
    { sourceTag: 'scope:policy', onlyDependOnLibsWithTags: ['scope:shared', 'scope:policy'] },
    { sourceTag: 'scope:evaluation', onlyDependOnLibsWithTags: ['scope:shared', 'scope:evaluation'] },
    { sourceTag: 'scope:human-review', onlyDependOnLibsWithTags: ['scope:shared', 'scope:human-review'] },
  ],
};

// The one-process launcher composes the six apps: it alone may import their service and compose
// entry points (Nx forbids importing applications everywhere else).
const appEntryPoints = ['ingestion', 'retrieval', 'inference-gateway', 'policy', 'evaluation', 'human-review'].flatMap(
  (app) => [`@keel/${app}`, `@keel/${app}/compose`],
);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/src/generated/**', 'charts/**', 'deploy/**'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries],
    },
  },
  {
    files: ['tools/local-platform/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: appEntryPoints }],
    },
  },
  {
    // The six-process e2e gives the gateway a provider: the fake model server of @keel/models' test kit.
    files: ['tools/e2e/src/**/*.test.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: ['@keel/models/testing'] }],
    },
  },
  {
    // The console's browser tests and their harness (shared with bench/console.ts) start the whole
    // platform in-process and build the console first: node code beside the browser app.
    files: ['apps/review-console/e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          ...boundaries,
          allow: [
            '@keel/local-platform',
            '@keel/local-platform/*',
            '@keel/testing',
            '@keel/platform',
            '@keel/event-bus',
            '@keel/contracts/**',
            '../../../tools/scripts/console-build.mjs',
          ],
        },
      ],
    },
  },
  {
    // The CLI's tests run it against a real ingestion service in the same process.
    files: ['tools/cli/src/**/*.test.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { ...boundaries, allow: appEntryPoints }],
    },
  },
  {
    // Domain and use-case code: everything in an app but its composition root and transports.
    files: ['apps/*/src/**/*.ts'],
    ignores: ['apps/*/src/main.ts', 'apps/*/src/compose.ts', 'apps/*/src/inbound/**', 'apps/*/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...drivers, ...adapters],
              message:
                'Domain code depends on ports; only compose.ts picks adapters and only inbound/ speaks transport.',
            },
          ],
        },
      ],
    },
  },
);

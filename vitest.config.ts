import { defineConfig } from 'vitest/config';

// Tests run against each package's TypeScript source (the "@palisade/source" export condition),
// so no build is needed before `vitest run`; the published packages point at dist/.
const conditions = ['@palisade/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@palisade/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

// Shared vitest settings: resolve workspace packages to their TypeScript sources
// (the "source" export condition) so tests never depend on a stale dist/.
import { defineConfig } from 'vitest/config';

export const sharedConfig = defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

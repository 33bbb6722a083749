// Root config: one vitest run over every workspace project, so CI gets one total.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'nix', 'e2e', 'bench'],
  },
});

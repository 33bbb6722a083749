import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(
  sharedConfig,
  defineProject({
    test: {
      name: '@nixery/cli',
      // The tests run the built CLI (dist/main.js) as a subprocess; build it once first.
      globalSetup: ['./test/support/build-cli.ts'],
      // Nix builds and the cache folder are shared; one file at a time keeps timings honest.
      fileParallelism: false,
      testTimeout: 180_000,
    },
  }),
);

// The README's examples are run as written, so they cannot drift from the code: every ```ts block
// that is directly followed by a ```text block must print exactly that text.
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = await readFile(path.join(packageDir, 'README.md'), 'utf8');
const EXAMPLE = /```ts\n((?:(?!```)[\s\S])*)```\n\n```text\n((?:(?!```)[\s\S])*)```/g;
const examples = [...readme.matchAll(EXAMPLE)].map((m) => ({ code: m[1]!, output: m[2]! }));

describe('README examples', () => {
  test('the README has the quick start and the worked example, with their output', () => {
    expect(readme.indexOf('## Install')).toBeLessThan(readme.indexOf('## Quick start'));
    expect(readme).toContain('npm install @nixery/layers');
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  test.each(examples.map((example, i) => [i + 1, example] as const))(
    'example %i runs as written and prints what the README shows',
    async (i, { code, output }) => {
      expect(code).toMatch(/from '@nixery\/layers'/);
      // Inside the package folder, so `@nixery/layers` resolves to this package by its own name
      // (the `source` condition picks src/) and graphology comes from its dependencies.
      const file = path.join(packageDir, `.readme-example-${i}-${process.pid}.ts`);
      await writeFile(file, code);
      try {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--conditions=source', '--import', 'tsx', file],
          { cwd: packageDir },
        );
        expect(stdout).toBe(output);
      } finally {
        await rm(file, { force: true });
      }
    },
  );
});

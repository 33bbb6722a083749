// Building twice gives the same paths with the same contents: `nix-build --check` rebuilds
// a derivation and fails if the new output differs in any byte from the stored one.
import { describe, expect, test } from 'vitest';
import { buildAttrs, pkgsDir, runNix } from './nix.js';

const attrs = [
  'hello',
  'busybox',
  'bash',
  'bashInteractive',
  'coreutils',
  'git',
  'zlib',
  'cacert',
  'iana-etc',
  'nodejs',
];

describe('reproducible builds', () => {
  test('a second build returns the same output paths', async () => {
    expect(await buildAttrs(attrs)).toEqual(await buildAttrs(attrs));
  });

  test.each(attrs)('rebuilding %s gives a bit-identical output', async (attr) => {
    await buildAttrs([attr]);
    const result = await runNix('nix-build', [pkgsDir, '--no-out-link', '--check', '-A', attr]);
    expect(result.stderr).not.toMatch(/differs|may not be deterministic/);
    expect(result.exitCode).toBe(0);
  });
});

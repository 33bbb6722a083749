import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { builderOptions, loadConfig } from '../src/index.js';
import { configProblems } from './support/problems.js';

const BASE = { STORAGE_PATH: '/s', NIXERY_PKGS_PATH: '/pkgs' };
// The public key nix-store --generate-binary-cache-key wrote for a test cache.
const KEY = 'fleet-cache-1:CzmrepziSS6GCYT5gOnn1fAemtodIVFZtnk8x2sEvMQ=';

const problems = (env: Record<string, string>) => configProblems({ ...BASE, ...env });

describe('NIXERY_NIX_BUILDERS', () => {
  test("is passed to Nix as its machine spec, and '' means no remote builders", () => {
    const spec = 'ssh-ng://farm-1 x86_64-linux /keys/farm 4 2 big-parallel; ssh://farm-2 aarch64-linux';
    const config = loadConfig({ env: { ...BASE, NIXERY_NIX_BUILDERS: ` ${spec} ` } });
    expect(config.nixFleet.builders).toBe(spec);
    expect(builderOptions(config).nixBuilders).toBe(spec);
    const none = loadConfig({ env: { ...BASE, NIXERY_NIX_BUILDERS: '' } });
    expect(builderOptions(none).nixBuilders).toBe('');
    expect(loadConfig({ env: BASE }).nixFleet.builders).toBeNull();
  });

  test('the flag wins over the variable', () => {
    const config = loadConfig({
      env: { ...BASE, NIXERY_NIX_BUILDERS: 'ssh://a x86_64-linux' },
      flags: { nixBuilders: 'ssh-ng://b x86_64-linux' },
    });
    expect(config.nixFleet.builders).toBe('ssh-ng://b x86_64-linux');
  });

  test('a machines file must exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nixery-machines-'));
    try {
      const file = join(dir, 'machines');
      await writeFile(file, 'ssh-ng://farm x86_64-linux\n');
      expect(problems({ NIXERY_NIX_BUILDERS: `@${file}` })).toEqual([]);
      expect(problems({ NIXERY_NIX_BUILDERS: `@${dir}/nope` })).toEqual([
        `NIXERY_NIX_BUILDERS: the machines file ${dir}/nope does not exist`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a misordered or malformed machine line is reported at start, each problem once', () => {
    expect(
      problems({
        NIXERY_NIX_BUILDERS:
          'x86_64-linux ssh://farm; ssh://farm x86_64-linux - four; ssh://farm x86_64-linux - 4 fast',
      }),
    ).toEqual([
      'NIXERY_NIX_BUILDERS: "ssh://farm" in "x86_64-linux ssh://farm" is not a list of Nix systems such as x86_64-linux',
      'NIXERY_NIX_BUILDERS: the job count "four" in "ssh://farm x86_64-linux - four" is not a whole number',
      'NIXERY_NIX_BUILDERS: the speed factor "fast" in "ssh://farm x86_64-linux - 4 fast" is not a number',
    ]);
  });
});

describe('NIXERY_TRUSTED_PUBLIC_KEYS', () => {
  test('is passed to Nix, whitespace normalised; unset keeps Nix’s own list', () => {
    const other = 'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
    const config = loadConfig({ env: { ...BASE, NIXERY_TRUSTED_PUBLIC_KEYS: `${KEY}\n  ${other}` } });
    expect(builderOptions(config).nixTrustedPublicKeys).toBe(`${KEY} ${other}`);
    expect(builderOptions(loadConfig({ env: BASE }))).not.toHaveProperty('nixTrustedPublicKeys');
  });

  test('something that is not a public key (a secret key, a bare name) is refused at start', () => {
    const secret = `fleet-cache-1:${Buffer.alloc(64, 7).toString('base64')}`;
    expect(problems({ NIXERY_TRUSTED_PUBLIC_KEYS: `${KEY} ${secret} fleet-cache-1` })).toEqual([
      `NIXERY_TRUSTED_PUBLIC_KEYS: ${JSON.stringify(secret)} is not a Nix public key (name:base64 of 32 bytes, as nix-store --generate-binary-cache-key writes)`,
      'NIXERY_TRUSTED_PUBLIC_KEYS: "fleet-cache-1" is not a Nix public key (name:base64 of 32 bytes, as nix-store --generate-binary-cache-key writes)',
    ]);
  });
});

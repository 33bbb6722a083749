import { describe, expect, test } from 'vitest';
import { hostSystem, listPackageSetAttributes } from '../src/index.js';
import { FIXTURE_SET } from './helpers.js';

describe('listPackageSetAttributes (real Nix, nix/list-attributes.nix)', () => {
  const system = hostSystem() ?? 'x86_64-linux';

  test('lists top-level derivations and those one level down, nothing else', async () => {
    const listing = await listPackageSetAttributes(FIXTURE_SET, system, {
      timeoutSeconds: 60,
      substituters: '',
    });
    expect(listing.ok).toBe(true);
    const names = listing.ok ? listing.attributes.map((path) => path.join('.')) : [];
    // toolSets.Python.requests is two levels down, notAPackage a string: neither is listed.
    expect(names.sort()).toEqual(
      [
        'Exact',
        'MixedCase',
        '_2fa',
        'cacert',
        'coreutils',
        'exact',
        'hello',
        'iana-etc',
        'libleaf',
        'libmid',
        'manual',
      ].sort(),
    );
  });

  test('a folder that is not a package set fails as an evaluation with Nix’s message', async () => {
    const listing = await listPackageSetAttributes('/nonexistent-nixery-set', system, { timeoutSeconds: 60 });
    expect(listing).toMatchObject({ ok: false, kind: 'evaluation-failed' });
    expect(listing.ok ? '' : listing.message).toMatch(
      /listing the attributes of \/nonexistent-nixery-set failed:\n.*error/s,
    );
  });

  test('a missing nix-instantiate is reported as such', async () => {
    const listing = await listPackageSetAttributes(FIXTURE_SET, system, {
      timeoutSeconds: 60,
      nixInstantiatePath: '/nonexistent/nix-instantiate',
    });
    expect(listing).toEqual({
      ok: false,
      kind: 'nix-missing',
      message: 'cannot run nix-instantiate: not found',
    });
  });

  test('hostSystem maps CPU architectures to Nix systems', () => {
    expect(hostSystem('x64')).toBe('x86_64-linux');
    expect(hostSystem('arm64')).toBe('aarch64-linux');
    expect(hostSystem('s390x')).toBeNull();
  });
});

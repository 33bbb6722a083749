import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { SbomError } from '../src/errors.js';
import { narHashHex } from '../src/nar-hash.js';

const hasNix = (() => {
  try {
    execFileSync('nix-store', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('narHashHex', () => {
  test('hex, SRI and Nix base-32 forms of one hash give the same hex', () => {
    const digest = createHash('sha256').update('some NAR').digest();
    const hex = digest.toString('hex');
    expect(narHashHex(`sha256:${hex}`)).toBe(hex);
    expect(narHashHex(`sha256-${digest.toString('base64')}`)).toBe(hex);
  });

  test.skipIf(!hasNix)(
    "Nix base-32 decodes to the sha256 of the path's NAR (checked with the real Nix)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'sbom-nar-'));
      const file = join(dir, 'payload');
      writeFileSync(file, `payload ${process.pid} ${Date.now()}\n`);
      const path = execFileSync('nix-store', ['--add', file], { encoding: 'utf8' }).trim();
      const nix32 = execFileSync('nix-store', ['--query', '--hash', path], { encoding: 'utf8' }).trim();
      expect(nix32).toMatch(/^sha256:[0-9a-z]{52}$/);
      const nar = execFileSync('nix-store', ['--dump', path]);
      expect(narHashHex(nix32)).toBe(createHash('sha256').update(nar).digest('hex'));
      // And Nix's own conversion agrees.
      const base16 = execFileSync('nix-hash', ['--type', 'sha256', '--to-base16', nix32.slice(7)], {
        encoding: 'utf8',
      }).trim();
      expect(narHashHex(nix32)).toBe(base16);
    },
  );

  test.each([
    '',
    'md5:abc',
    `sha256:${'e'.repeat(52)}`, // 'e' is not a Nix base-32 digit
    `sha256:${'0'.repeat(51)}`,
    'sha1-AAAA',
  ])('%j is refused', (bad) => {
    expect(() => narHashHex(bad)).toThrow(SbomError);
  });
});

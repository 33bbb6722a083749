import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The slice of real nixpkgs 26.11 (see /work/shared/fixtures/README.md). */
export const REAL_NIXPKGS_TARBALL =
  process.env.NIXERY_REAL_NIXPKGS_TARBALL ?? '/work/shared/fixtures/nixpkgs-pruned-26.11.tar.gz';

/** Unpacks the slice into a fresh folder (about 2 s); `path` is the nixpkgs root. */
export function unpackRealNixpkgs(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nixery-real-nixpkgs-'));
  execFileSync('tar', ['-xzf', REAL_NIXPKGS_TARBALL, '-C', dir]);
  return { path: join(dir, 'fixture'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

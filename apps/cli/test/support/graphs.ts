import type { RuntimeGraphJson } from '@nixery/layers';

/** A store path with a fixed, valid-looking hash (nix base32 has no e, o, u or t). */
export function storePath(index: number, name: string): string {
  return `/nix/store/${String(index).padStart(32, '0')}-${name}`;
}

const NAR_HASH = `sha256:${'1'.repeat(52)}`;

export const GLIBC = storePath(1, 'glibc-2.39');
export const LIBX = storePath(2, 'libx-1.0');
export const LIBY = storePath(3, 'liby-2.0');
export const APP1 = storePath(4, 'app1-1.0');
export const APP2 = storePath(5, 'app2-1.0');

/**
 * app1 → libx, glibc; app2 → libx, liby; libx → glibc. Sizes are chosen so the ratings can be
 * worked out by hand (rating = popularity of the head × the sum of its members' closure sizes):
 * with glibc popular (200), the candidates are {glibc} 200×100 = 20000, {app2, liby} 1×(132+20) = 152,
 * {app1} 111 and {libx} 110; with a budget of 3 the last two merge into one layer rated 221.
 */
export const HAND_GRAPH: RuntimeGraphJson = {
  graph: [
    { path: GLIBC, narSize: 100, closureSize: 100, narHash: NAR_HASH, references: [GLIBC] },
    { path: LIBX, narSize: 10, closureSize: 110, narHash: NAR_HASH, references: [GLIBC, LIBX] },
    { path: LIBY, narSize: 20, closureSize: 20, narHash: NAR_HASH, references: [] },
    { path: APP1, narSize: 1, closureSize: 111, narHash: NAR_HASH, references: [LIBX, GLIBC] },
    { path: APP2, narSize: 2, closureSize: 132, narHash: NAR_HASH, references: [LIBX, LIBY, GLIBC, GLIBC] },
  ],
  exportReferencesGraph: { graph: [APP1, APP2] },
};

export const HAND_POPULARITY = { 'glibc-2.39': 200 };

// What a crash leaves behind besides blobs: uploads stuck under staging/ and GC-root folders whose
// build died (they keep store paths from Nix's garbage collector). Both are reported as problems;
// repair removes them, taking care not to pull the rug from under a build that is still running.
import { closureBytes, type GcRootFolder, listGcRootFolders, removeStaleGcRootFolders } from '@nixery/nix';
import type { Storage } from '@nixery/storage';
import type { Problem } from './problems.js';

/** The GC-root folders found on this host, by state. */
export interface GcRootCensus {
  parent: string;
  live: number;
  stale: number;
  foreign: number;
}

export interface Leftovers {
  problems: Problem[];
  /** null when no GC-root parent was given (so whether a build runs here is unknown). */
  gcRoots: GcRootCensus | null;
  stale: GcRootFolder[];
}

/** Staging entries (all of them: verify cannot tell a leftover from an upload in progress) and stale GC-root folders. */
export async function findLeftovers(storage: Storage, gcRootsDir: string | null): Promise<Leftovers> {
  const problems: Problem[] = [];
  const staging = await storage.stagingSummary();
  if (staging.count > 0) {
    problems.push({
      kind: 'staging-leftovers',
      count: staging.count,
      bytes: staging.bytes,
      oldestAgeMs: staging.oldestAgeMs ?? 0,
    });
  }
  if (gcRootsDir === null) return { problems, gcRoots: null, stale: [] };

  const folders = await listGcRootFolders(gcRootsDir);
  const count = (state: GcRootFolder['state']) => folders.filter((f) => f.state === state).length;
  const stale = folders.filter((f) => f.state === 'stale');
  if (stale.length > 0) {
    const oldest = Math.min(...stale.map((f) => f.modifiedMs));
    problems.push({
      kind: 'gc-roots-stale',
      count: stale.length,
      bytes: await closureBytes(stale.flatMap((f) => f.storePaths)),
      oldestAgeMs: Math.max(0, Date.now() - oldest),
      paths: stale.map((f) => f.path),
    });
  }
  return {
    problems,
    gcRoots: { parent: gcRootsDir, live: count('live'), stale: stale.length, foreign: count('foreign') },
    stale,
  };
}

export interface LeftoverRepair {
  stagingRemoved: number;
  /** 0 when every staging entry was removed, else the minimum age of those removed (ms). */
  stagingMinAgeMs: number;
  gcRootFoldersRemoved: number;
}

/**
 * Removes stale GC-root folders (their owner is gone, so nothing needs them) and staging
 * leftovers: all of them when no build runs on this host (no live GC-root folder), else only
 * those older than `busyStagingAgeMs`. Unknown (no GC-root parent) counts as busy.
 */
export async function removeLeftovers(
  storage: Storage,
  found: Leftovers,
  busyStagingAgeMs: number,
): Promise<LeftoverRepair> {
  const parent = found.gcRoots?.parent ?? null;
  const gcRootFoldersRemoved = parent === null ? 0 : (await removeStaleGcRootFolders(parent)).length;
  // Looked at again now: a build may have started while the blobs were being hashed.
  const idle =
    parent !== null && !(await listGcRootFolders(parent)).some((folder) => folder.state === 'live');
  const stagingMinAgeMs = idle ? 0 : busyStagingAgeMs;
  const stagingRemoved = await storage.cleanStaging(stagingMinAgeMs);
  return { stagingRemoved, stagingMinAgeMs, gcRootFoldersRemoved };
}

// Start-up clean-up of what a crashed instance left: GC-root folders of builds whose process is
// gone, and staging uploads too old to belong to any build still running (possibly on another
// instance that shares the storage).
import { defaultGcRootsParent, removeStaleGcRootFolders } from '@nixery/nix';
import type { Storage } from '@nixery/storage';
import type { Logger } from 'pino';

/** Slack the HTTP server gives a manifest request on top of NIX_TIMEOUT (see server.ts). */
export const REQUEST_SLACK_SECONDS = 120;

/**
 * How old a staging entry must be before start-up removes it. A build spends at most NIX_TIMEOUT
 * in Nix, then writes its layers; a waiting client is cut off NIX_TIMEOUT + 120 s after it
 * asked. Staging entries are aged from their last write, so ten such request timeouts without a
 * single byte written is far past any live upload; never less than the hour `nixery verify`
 * has always used for the same judgement.
 */
export function stagingGraceMs(nixTimeoutSeconds: number): number {
  return Math.max(3_600_000, 10 * (nixTimeoutSeconds + REQUEST_SLACK_SECONDS) * 1000);
}

export interface LeftoverCleaning {
  gcRootFoldersRemoved: string[];
  stagingRemoved: number;
  graceMs: number;
}

/** Removes stale GC-root folders and old staging leftovers, logging what went; never throws. */
export async function cleanLeftoversAtStart(options: {
  storage: Storage;
  gcRootsDir: string | null;
  nixTimeoutSeconds: number;
  logger: Logger;
}): Promise<LeftoverCleaning> {
  const { storage, logger } = options;
  const graceMs = stagingGraceMs(options.nixTimeoutSeconds);
  const result: LeftoverCleaning = { gcRootFoldersRemoved: [], stagingRemoved: 0, graceMs };
  const parent = options.gcRootsDir ?? defaultGcRootsParent();
  try {
    result.gcRootFoldersRemoved = (await removeStaleGcRootFolders(parent)).map((folder) => folder.path);
    if (result.gcRootFoldersRemoved.length > 0) {
      logger.info({ parent, folders: result.gcRootFoldersRemoved }, 'removed stale GC-root folders');
    }
  } catch (error) {
    logger.warn({ parent, err: (error as Error).message }, 'could not clean stale GC-root folders');
  }
  try {
    result.stagingRemoved = await storage.cleanStaging(graceMs);
    const kept = await storage.stagingSummary();
    if (result.stagingRemoved > 0 || kept.count > 0) {
      logger.info(
        { removed: result.stagingRemoved, graceSeconds: graceMs / 1000, kept },
        'cleaned staging leftovers older than the grace period',
      );
    }
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'could not clean staging leftovers');
  }
  return result;
}

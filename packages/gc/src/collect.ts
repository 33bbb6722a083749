import {
  type BlobInfo,
  imageRecordReferences,
  listStoredObjects,
  manifestReferences,
  parseLayerCacheEntry,
  parseReferrerRecords,
  parseServedRecord,
  type Storage,
  type StoredObjects,
} from '@nixery/storage';
import pLimit from 'p-limit';
import { type GcPlan, type Inventory, type ObjectKind, planCollection } from './plan.js';

export interface GcOptions {
  /** Images not served (nor built) for this long are dropped. */
  retentionMs: number;
  /** Nothing younger than this is deleted; longer than any build. */
  graceMs: number;
  /** The clock (tests move it); default the real one. */
  now?: () => Date;
  /** Report what would go, delete nothing. */
  dryRun?: boolean;
  /** Storage requests at once; default 8. */
  concurrency?: number;
}

export interface GcReport {
  dryRun: boolean;
  startedAt: string;
  images: { kept: number; expired: number };
  manifests: { kept: number; deleted: number };
  imageRecords: { kept: number; deleted: number };
  blobs: { kept: number; keptBytes: number; fresh: number; deleted: number; deletedBytes: number };
  /** Other objects deleted (or, in a dry run, to delete), by kind. */
  objectsDeleted: Record<ObjectKind, number>;
  /** Blobs and objects kept after all because they were written or reached while gc ran. */
  rescued: number;
  /** What was (or would be) deleted. */
  deleted: { blobs: { digest: string; size: number }[]; objects: string[] };
}

/**
 * One garbage collection: walk storage, plan (planCollection), then delete in an order that never
 * leaves a kept record pointing at nothing: expired image records, referrer lists, manifests and
 * served records first, then the layer-cache entries of the blobs to go (so no new build reuses
 * them), then — after a second walk, which keeps whatever a build wrote or referenced meanwhile —
 * the blobs.
 */
export async function collectGarbage(storage: Storage, options: GcOptions): Promise<GcReport> {
  const clock = options.now ?? (() => new Date());
  const startedAt = clock();
  const limit = pLimit(options.concurrency ?? 8);
  const walked = await listStoredObjects(storage);
  const inventory = await readInventory(storage, walked, limit);
  const plan = planCollection(inventory, {
    now: startedAt,
    retentionMs: options.retentionMs,
    graceMs: options.graceMs,
  });
  const report = emptyReport(options.dryRun === true, startedAt, plan, inventory);
  if (options.dryRun) {
    for (const { kind } of plan.deleteObjects) countObject(report, kind);
    report.deleted.objects = plan.deleteObjects.map((o) => o.key);
    report.deleted.blobs = plan.deleteBlobs.map(({ digest, size }) => ({ digest, size }));
    sumBlobs(report);
    return report;
  }

  // Objects: records and manifests first, the layer-cache entries of doomed blobs last.
  const firstSeen = new Map(
    [...walked.manifests, ...walked.imageRecords].map((o) => [o.key, o.modified.getTime()]),
  );
  const objects = plan.deleteObjects.filter((o) => o.kind !== 'layer-entry');
  const entries = plan.deleteObjects.filter((o) => o.kind === 'layer-entry');
  await deleteObjects(storage, report, await stillUnchanged(storage, objects, firstSeen, report), limit);
  await deleteObjects(storage, report, entries, limit);

  // A build that ran meanwhile may have written a manifest naming a doomed blob: keep those.
  const again = await listStoredObjects(storage);
  const newer = {
    ...again,
    manifests: again.manifests.filter((m) => firstSeen.get(m.key) !== m.modified.getTime()),
    imageRecords: again.imageRecords.filter((r) => firstSeen.get(r.key) !== r.modified.getTime()),
    layerEntries: [],
    referrers: [],
    served: [],
  };
  const late = await readInventory(storage, newer, limit);
  const reachedLate = new Set<string>([
    ...late.manifests.flatMap((m) => m.refs?.blobs.map((b) => b.digest) ?? []),
    ...late.imageRecords.flatMap((r) => r.blobs),
  ]);
  const blobs = plan.deleteBlobs.filter((blob) => {
    if (!reachedLate.has(blob.digest)) return true;
    report.rescued++;
    return false;
  });
  await Promise.all(
    blobs.map((blob) =>
      limit(async () => {
        await storage.deleteBlob(blob.digest);
        report.deleted.blobs.push({ digest: blob.digest, size: blob.size });
      }),
    ),
  );
  sumBlobs(report);
  return report;
}

/** Drops planned deletions of manifests and records rewritten since the first walk (a rebuild). */
async function stillUnchanged(
  storage: Storage,
  objects: GcPlan['deleteObjects'],
  firstSeen: Map<string, number>,
  report: GcReport,
): Promise<GcPlan['deleteObjects']> {
  const now = await listStoredObjects(storage);
  const current = new Map([...now.manifests, ...now.imageRecords].map((o) => [o.key, o.modified.getTime()]));
  return objects.filter((o) => {
    if (o.kind !== 'manifest' && o.kind !== 'image-record') return true;
    if (current.get(o.key) === firstSeen.get(o.key)) return true;
    report.rescued++;
    return false;
  });
}

async function deleteObjects(
  storage: Storage,
  report: GcReport,
  objects: GcPlan['deleteObjects'],
  limit: ReturnType<typeof pLimit>,
): Promise<void> {
  // Records before manifests before the rest: a reader never finds a record naming a deleted manifest.
  for (const kinds of [
    ['image-record'],
    ['referrers', 'manifest'],
    ['served', 'layer-entry'],
  ] as ObjectKind[][]) {
    await Promise.all(
      objects
        .filter((o) => kinds.includes(o.kind))
        .map((o) =>
          limit(async () => {
            await storage.deleteObject(o.key);
            countObject(report, o.kind);
            report.deleted.objects.push(o.key);
          }),
        ),
    );
  }
}

function countObject(report: GcReport, kind: ObjectKind): void {
  report.objectsDeleted[kind]++;
  if (kind === 'manifest') {
    report.manifests.deleted++;
    report.manifests.kept--;
  } else if (kind === 'image-record') {
    report.imageRecords.deleted++;
    report.imageRecords.kept--;
  }
}

function sumBlobs(report: GcReport): void {
  report.blobs.deleted = report.deleted.blobs.length;
  report.blobs.deletedBytes = report.deleted.blobs.reduce((sum, b) => sum + b.size, 0);
}

function emptyReport(dryRun: boolean, startedAt: Date, plan: GcPlan, inventory: Inventory): GcReport {
  // Blobs rescued by the second walk are counted as deleted-then-kept in `rescued` only.
  return {
    dryRun,
    startedAt: startedAt.toISOString(),
    images: plan.images,
    manifests: { kept: inventory.manifests.length, deleted: 0 },
    imageRecords: { kept: inventory.imageRecords.length, deleted: 0 },
    blobs: {
      kept: plan.blobs.kept,
      keptBytes: plan.blobs.keptBytes,
      fresh: plan.blobs.fresh,
      deleted: 0,
      deletedBytes: 0,
    },
    objectsDeleted: { 'image-record': 0, manifest: 0, referrers: 0, served: 0, 'layer-entry': 0 },
    rescued: 0,
    deleted: { blobs: [], objects: [] },
  };
}

/** Reads the records a walk listed; an object removed since the listing is left out. */
async function readInventory(
  storage: Storage,
  walked: StoredObjects,
  limit: ReturnType<typeof pLimit>,
): Promise<Inventory> {
  const read = <T>(key: string, parse: (value: unknown) => T): Promise<T | null | undefined> =>
    limit(async () => {
      const object = await storage.getObject(key);
      if (!object) return undefined;
      try {
        return parse(JSON.parse(object.body.toString('utf8')) as unknown);
      } catch {
        return null;
      }
    });
  const blobs: BlobInfo[] = [];
  for await (const blob of storage.listBlobInfo()) blobs.push(blob);

  const [manifests, imageRecords, referrers, served, layerEntries] = await Promise.all([
    Promise.all(
      walked.manifests.map(async (m) => {
        const refs = await read(m.key, manifestReferences);
        return refs === undefined ? null : { digest: m.digest, modified: m.modified, refs };
      }),
    ),
    Promise.all(
      walked.imageRecords.map(async (r) => {
        const refs = await read(r.key, recordReferences);
        if (refs === undefined) return null;
        return {
          key: r.key,
          modified: r.modified,
          manifests: refs?.manifests ?? [],
          blobs: refs?.blobs ?? [],
        };
      }),
    ),
    Promise.all(
      walked.referrers.map(async (l) => {
        const listed = await read(l.key, (v) => parseReferrerRecords(v).map((r) => r.digest));
        return listed === undefined
          ? null
          : { key: l.key, subject: l.subject, modified: l.modified, listed: listed ?? [] };
      }),
    ),
    Promise.all(
      walked.served.map(async (s) => {
        const servedAt = await read(s.key, parseServedRecord);
        return servedAt === undefined
          ? null
          : { key: s.key, digest: s.digest, modified: s.modified, servedAt };
      }),
    ),
    Promise.all(
      walked.layerEntries.map(async (e) => {
        const digest = await read(e.key, (v) => parseLayerCacheEntry(v).digest);
        return digest === undefined ? null : { key: e.key, modified: e.modified, digest };
      }),
    ),
  ]);
  const present = <T>(items: (T | null)[]): T[] => items.filter((i): i is T => i !== null);
  return {
    blobs,
    manifests: present(manifests),
    imageRecords: present(imageRecords),
    referrers: present(referrers),
    served: present(served),
    layerEntries: present(layerEntries),
  };
}

/** The manifests (image and SBOM referrers) and blobs an image record names. */
function recordReferences(value: unknown): { manifests: string[]; blobs: string[] } {
  const refs = imageRecordReferences(value);
  const referrers = (value as { referrers?: Record<string, { digest?: unknown }[]> }).referrers ?? {};
  const artifacts = Object.values(referrers)
    .flat()
    .map((r) => r?.digest)
    .filter((d): d is string => typeof d === 'string');
  return { manifests: [...refs.manifests, ...artifacts], blobs: refs.blobs.map((b) => b.digest) };
}

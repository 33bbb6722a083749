import { isDigest, sha256Digest } from '@nixery/digest';
import { formatOfIndexType } from '@nixery/manifest';
import {
  type BlobReference,
  InvalidEntryError,
  imageRecordReferences,
  listStoredObjects,
  manifestObjectKey,
  manifestReferences,
  parseLayerCacheEntry,
  parseReferrerRecords,
  type ReferrerRecord,
  type Storage,
} from '@nixery/storage';
import { hashStoredBlob } from './hash-blob.js';
import { findLeftovers, type GcRootCensus, removeLeftovers } from './leftovers.js';
import { forEachLimited } from './pool.js';
import type { ObjectProblem, Problem, Repair } from './problems.js';

export interface VerifyOptions {
  /** Delete corrupt blobs and every entry that points to a missing or corrupt blob. */
  repair?: boolean;
  /**
   * With repair: while a build runs on this host (a live GC-root folder under `gcRootsDir`), or
   * when that cannot be known (no `gcRootsDir`), only staging leftovers older than this (ms) are
   * removed; default one hour. When no build runs here, all of them are.
   */
  stagingOlderThanMs?: number;
  /**
   * The parent of the builders' GC-root folders (@nixery/nix's defaultGcRootsParent() unless
   * configured): stale folders are reported (and removed by repair), live ones tell that a build
   * runs on this host. Not given: GC roots are not looked at.
   */
  gcRootsDir?: string;
  /** Blobs hashed at once; default 4. */
  concurrency?: number;
  /** Called after each blob is hashed, for progress output. */
  onBlob?: (digest: string, ok: boolean) => void;
}

export interface VerifyReport {
  blobs: { checked: number; bytes: number };
  layerEntries: { checked: number };
  manifests: { checked: number };
  referrers: { checked: number };
  imageRecords: { checked: number };
  problems: Problem[];
  /** Empty unless `repair` was set. */
  repairs: Repair[];
  /** GC-root folders by state; null when `gcRootsDir` was not given. */
  gcRoots: GcRootCensus | null;
  /** Staging leftovers removed (repair only). */
  stagingRemoved: number;
  /** Repair only: 0 when staging leftovers of any age were removed, else the minimum age removed (ms). */
  stagingMinAgeMs: number | null;
  /** Stale GC-root folders removed (repair only). */
  gcRootFoldersRemoved: number;
  repaired: boolean;
}

/** A blob as verify found it: its size if intact, else why it is not usable. */
type BlobState = { ok: true; size: number } | { ok: false; reason: string };

/**
 * Checks a whole storage: every blob against its digest (streamed), then every layer-cache
 * entry, every manifest stored by digest, every referrers list and every manifest-cache record
 * against the blobs (and manifests) they name. With `repair`, removes what is bad in that order, so an entry
 * pointing at a blob removed for corruption is removed too; the next pull rebuilds it all.
 */
export async function verifyStorage(storage: Storage, options: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: Problem[] = [];
  const blobs = new Map<string, BlobState>();
  const report: VerifyReport = {
    blobs: { checked: 0, bytes: 0 },
    layerEntries: { checked: 0 },
    manifests: { checked: 0 },
    referrers: { checked: 0 },
    imageRecords: { checked: 0 },
    problems,
    repairs: [],
    gcRoots: null,
    stagingRemoved: 0,
    stagingMinAgeMs: null,
    gcRootFoldersRemoved: 0,
    repaired: options.repair === true,
  };

  await forEachLimited(storage.listBlobs(), options.concurrency ?? 4, async (digest) => {
    const state = await checkBlob(storage, digest, problems);
    blobs.set(digest, state);
    report.blobs.checked++;
    if (state.ok) report.blobs.bytes += state.size;
    options.onBlob?.(digest, state.ok);
  });

  // A blob written after the listing (a server still running) is looked up, not assumed missing.
  const blobState = async (digest: string): Promise<BlobState> => {
    const known = blobs.get(digest);
    if (known) return known;
    const stat = isDigest(digest) ? await storage.statBlob(digest) : null;
    const state: BlobState = stat ? { ok: true, size: stat.size } : { ok: false, reason: 'is missing' };
    blobs.set(digest, state);
    return state;
  };
  const describeRef = async (digest: string, size: number | undefined): Promise<string | null> => {
    const state = await blobState(digest);
    if (!state.ok) return state.reason;
    if (size !== undefined && state.size !== size) return `has ${state.size} bytes, not ${size}`;
    return null;
  };

  const walked = await listStoredObjects(storage);
  const layerEntries = walked.layerEntries.map((o) => o.key);
  const manifests = walked.manifests.map(({ key, digest }) => ({ key, digest }));
  const imageRecords = walked.imageRecords.map((o) => o.key);

  for (const key of layerEntries) {
    const body = await storage.getObject(key);
    if (!body) continue; // removed since the listing
    report.layerEntries.checked++;
    const entry = parseLayerEntry(body.body);
    if (typeof entry === 'string') {
      problems.push({ kind: 'layer-entry-invalid', key, message: entry });
      continue;
    }
    const reason = await describeRef(entry.digest, entry.size);
    if (reason) problems.push({ kind: 'layer-entry-dangling', key, digest: entry.digest, reason });
  }

  const badManifests = new Set<string>();
  for (const { key, digest } of manifests) {
    const body = await storage.getObject(key);
    if (!body) continue;
    report.manifests.checked++;
    const actual = sha256Digest(body.body);
    const entries = actual === digest ? parseIndexRefs(body.body) : null;
    if (entries !== null) {
      // An image index (multi-platform): its entries are manifests stored beside it.
      const missing: string[] = [];
      for (const entry of entries) {
        const stored = await storage.getObject(manifestObjectKey(entry.digest));
        if (!stored) missing.push(`manifest ${entry.digest} (missing)`);
        else if (stored.body.length !== entry.size)
          missing.push(`manifest ${entry.digest} (has ${stored.body.length} bytes, not ${entry.size})`);
      }
      if (missing.length > 0) {
        problems.push({ kind: 'manifest-dangling', key, digest, missing });
        badManifests.add(digest);
      }
      continue;
    }
    const refs = actual === digest ? parseManifestRefs(body.body) : `its bytes hash to ${actual}`;
    if (typeof refs === 'string') {
      problems.push({ kind: 'manifest-invalid', key, digest, message: refs });
      badManifests.add(digest);
      continue;
    }
    const missing = await missingRefs(refs, describeRef);
    if (missing.length > 0) {
      problems.push({ kind: 'manifest-dangling', key, digest, missing });
      badManifests.add(digest);
    }
  }

  // A referrers list must name stored, sound manifests whose subject is the list's own. In key
  // order: a folder lists in an order of the filesystem's own (ext4: a hash with a per-disk seed).
  const referrerLists = [...walked.referrers].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { key, subject } of referrerLists) {
    const body = await storage.getObject(key);
    if (!body) continue;
    report.referrers.checked++;
    const listed = parseReferrerList(body.body);
    if (typeof listed === 'string') {
      problems.push({ kind: 'referrers-invalid', key, subject, message: listed });
      continue;
    }
    const missing: string[] = [];
    for (const referrer of listed) {
      const reason = badManifests.has(referrer.digest)
        ? 'bad'
        : referrerReason(await storage.getObject(manifestObjectKey(referrer.digest)), referrer, subject);
      if (reason) missing.push(`manifest ${referrer.digest} (${reason})`);
    }
    if (missing.length > 0) problems.push({ kind: 'referrers-dangling', key, subject, missing });
  }

  for (const key of imageRecords) {
    const body = await storage.getObject(key);
    if (!body) continue;
    report.imageRecords.checked++;
    const record = parseImageRecord(body.body);
    if (typeof record === 'string') {
      problems.push({ kind: 'image-record-invalid', key, message: record });
      continue;
    }
    const missing = await missingRefs(record.blobs, describeRef);
    for (const digest of record.manifests) {
      if (badManifests.has(digest)) missing.push(`manifest ${digest} (bad)`);
      else if (!(await storage.getObject(manifestObjectKey(digest))))
        missing.push(`manifest ${digest} (missing)`);
    }
    if (missing.length > 0) problems.push({ kind: 'image-record-dangling', key, missing });
  }

  const leftovers = await findLeftovers(storage, options.gcRootsDir ?? null);
  problems.push(...leftovers.problems);
  report.gcRoots = leftovers.gcRoots;

  if (options.repair) {
    report.repairs = await repair(storage, problems);
    const removed = await removeLeftovers(storage, leftovers, options.stagingOlderThanMs ?? 3_600_000);
    report.stagingRemoved = removed.stagingRemoved;
    report.stagingMinAgeMs = removed.stagingMinAgeMs;
    report.gcRootFoldersRemoved = removed.gcRootFoldersRemoved;
  }
  return report;
}

async function checkBlob(storage: Storage, digest: string, problems: Problem[]): Promise<BlobState> {
  let actual: { digest: string; size: number };
  try {
    actual = await hashStoredBlob(storage, digest);
  } catch (error) {
    const message = (error as Error).message;
    problems.push({ kind: 'blob-unreadable', digest, message });
    return { ok: false, reason: `cannot be read (${message})` };
  }
  if (actual.digest === digest) return { ok: true, size: actual.size };
  problems.push({ kind: 'blob-corrupt', digest, actualDigest: actual.digest, size: actual.size });
  return { ok: false, reason: 'is corrupt' };
}

type BlobRef = BlobReference;

async function missingRefs(
  refs: BlobRef[],
  describeRef: (digest: string, size: number | undefined) => Promise<string | null>,
): Promise<string[]> {
  const missing: string[] = [];
  for (const ref of refs) {
    const reason = await describeRef(ref.digest, ref.size);
    if (reason) missing.push(`${ref.digest} (${reason})`);
  }
  return missing;
}

/** Deletes bad blobs first, then each object that names something bad; unreadable blobs are kept. */
async function repair(storage: Storage, problems: Problem[]): Promise<Repair[]> {
  const repairs: Repair[] = [];
  for (const problem of problems) {
    if (problem.kind === 'blob-corrupt') {
      await storage.deleteBlob(problem.digest);
      repairs.push({ action: 'delete-blob', target: problem.digest, problem: problem.kind });
    }
  }
  for (const problem of problems.filter((p): p is ObjectProblem => 'key' in p)) {
    await storage.deleteObject(problem.key);
    repairs.push({ action: 'delete-object', target: problem.key, problem: problem.kind });
  }
  return repairs;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (error) {
    return new Error(`not JSON: ${(error as Error).message}`);
  }
}

/** A layer-cache entry in the format @nixery/storage defines, or what is wrong with it. */
function parseLayerEntry(bytes: Buffer): { digest: string; size: number } | string {
  const value = parseJson(bytes);
  if (value instanceof Error) return value.message;
  return entryOrReason(() => parseLayerCacheEntry(value));
}

/** The manifest descriptors of an image index or Docker manifest list; null for anything else. */
function parseIndexRefs(bytes: Buffer): BlobRef[] | null {
  const value = parseJson(bytes);
  if (value instanceof Error) return null;
  const index = value as { mediaType?: unknown; manifests?: unknown } | null;
  if (typeof index?.mediaType !== 'string' || formatOfIndexType(index.mediaType) === null) return null;
  if (!Array.isArray(index.manifests)) return null;
  const refs: BlobRef[] = [];
  for (const descriptor of index.manifests as unknown[]) {
    const d = descriptor as { digest?: unknown; size?: unknown } | null;
    if (typeof d?.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number') return null;
    refs.push({ digest: d.digest, size: d.size });
  }
  return refs;
}

/** The config and layer descriptors of a Docker schema 2 or OCI image manifest. */
function parseManifestRefs(bytes: Buffer): BlobRef[] | string {
  const value = parseJson(bytes);
  if (value instanceof Error) return value.message;
  const manifest = value as { config?: unknown; layers?: unknown } | null;
  const descriptors = [manifest?.config, ...(Array.isArray(manifest?.layers) ? manifest.layers : [null])];
  const refs: BlobRef[] = [];
  for (const descriptor of descriptors) {
    const d = descriptor as { digest?: unknown; size?: unknown } | null;
    if (typeof d?.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number') {
      return 'not an image manifest with a config and a layers list of descriptors';
    }
    refs.push({ digest: d.digest, size: d.size });
  }
  return refs;
}

/** A referrers list in the format @nixery/storage defines, or what is wrong with it. */
function parseReferrerList(bytes: Buffer): ReferrerRecord[] | string {
  const value = parseJson(bytes);
  if (value instanceof Error) return value.message;
  return entryOrReason(() => parseReferrerRecords(value));
}

/** Why a listed referrer does not belong under `subject`'s list (null: it does). */
function referrerReason(
  stored: { body: Buffer } | null,
  referrer: ReferrerRecord,
  subject: string,
): string | null {
  if (!stored) return 'missing';
  if (stored.body.length !== referrer.size) return `has ${stored.body.length} bytes, not ${referrer.size}`;
  const value = parseJson(stored.body);
  const refs = value instanceof Error ? value.message : entryOrReason(() => manifestReferences(value));
  if (typeof refs === 'string') return 'bad';
  if (refs.subject === null) return 'names no subject';
  return refs.subject === subject ? null : `its subject is ${refs.subject}`;
}

/** The manifests and blobs a manifest-cache record (a built image) names. */
function parseImageRecord(bytes: Buffer): { manifests: string[]; blobs: BlobRef[] } | string {
  const value = parseJson(bytes);
  if (value instanceof Error) return value.message;
  return entryOrReason(() => imageRecordReferences(value));
}

function entryOrReason<T>(parse: () => T): T | string {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidEntryError) return error.reason;
    throw error;
  }
}

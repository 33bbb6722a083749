// The mark-and-sweep decision, pure: from what a walk of storage found and a policy, what goes.
// Nothing here reads or writes storage, so the rules are unit-tested on plain data.
import { type BlobInfo, type ManifestReferences, manifestObjectKey } from '@nixery/storage';

export interface InventoryManifest {
  digest: string;
  modified: Date;
  /** null: unreadable or not a manifest (it then keeps nothing alive). */
  refs: ManifestReferences | null;
}

export interface InventoryImageRecord {
  key: string;
  modified: Date;
  /** Manifest digests the record names: its Docker and OCI manifests and their SBOM referrers. */
  manifests: string[];
  /** Config and layer blobs it names; empty when the record is unreadable. */
  blobs: string[];
}

export interface InventoryReferrers {
  key: string;
  subject: string;
  modified: Date;
  /** Digests of the referring (artifact) manifests listed. */
  listed: string[];
}

export interface InventoryServed {
  key: string;
  digest: string;
  modified: Date;
  /** null when the record cannot be read. */
  servedAt: Date | null;
}

export interface InventoryLayerEntry {
  key: string;
  modified: Date;
  /** null when unreadable. */
  digest: string | null;
}

/** Everything a walk found, with the records read. */
export interface Inventory {
  blobs: BlobInfo[];
  manifests: InventoryManifest[];
  imageRecords: InventoryImageRecord[];
  referrers: InventoryReferrers[];
  served: InventoryServed[];
  layerEntries: InventoryLayerEntry[];
}

export interface GcPolicy {
  now: Date;
  /** An image last served (or built) longer ago than this is dropped. */
  retentionMs: number;
  /** Nothing written more recently than this is deleted (a build in flight writes blobs first). */
  graceMs: number;
}

export type ObjectKind = 'image-record' | 'manifest' | 'referrers' | 'served' | 'layer-entry';

export interface GcPlan {
  images: { kept: number; expired: number };
  /** Manifest digests that stay (kept images and everything they reach). */
  keptManifests: Set<string>;
  /** Blob digests that stay because a kept manifest or record references them. */
  markedBlobs: Set<string>;
  /** Objects to delete, in the order they must go (records before what they name). */
  deleteObjects: { key: string; kind: ObjectKind }[];
  deleteBlobs: BlobInfo[];
  blobs: { kept: number; keptBytes: number; fresh: number };
}

/**
 * Images are groups of stored objects that live and die together: an image record with the
 * manifests it names, image manifests with the same config (the Docker and OCI forms of one
 * image), and artifact manifests (SBOMs) with their subject. A group is kept when any member was
 * served or written within the retention, or written within the grace. The mark set is what the
 * kept groups reach: manifests (an index's children, a manifest's referrers) and blobs. Unmarked
 * blobs older than the grace are swept; layer-cache entries naming a swept blob go with it.
 */
export function planCollection(inventory: Inventory, policy: GcPolicy): GcPlan {
  const now = policy.now.getTime();
  const retained = (time: Date) => time.getTime() >= now - policy.retentionMs;
  const fresh = (time: Date) => time.getTime() > now - policy.graceMs;

  const groups = new UnionFind();
  const servedAt = new Map<string, number>();
  for (const record of inventory.served) {
    if (record.servedAt)
      servedAt.set(record.digest, Math.max(servedAt.get(record.digest) ?? 0, record.servedAt.getTime()));
  }
  const manifests = new Map(inventory.manifests.map((m) => [m.digest, m]));
  for (const m of inventory.manifests) {
    groups.add(`m:${m.digest}`);
    if (!m.refs) continue;
    if (m.refs.subject !== null) groups.union(`m:${m.digest}`, `m:${m.refs.subject}`);
    else if (m.refs.blobs[0]) groups.union(`m:${m.digest}`, `c:${m.refs.blobs[0].digest}`);
  }
  for (const r of inventory.imageRecords) {
    groups.add(`r:${r.key}`);
    for (const digest of r.manifests) groups.union(`r:${r.key}`, `m:${digest}`);
  }
  const referrersOf = new Map<string, string[]>();
  for (const list of inventory.referrers) {
    referrersOf.set(list.subject, [...(referrersOf.get(list.subject) ?? []), ...list.listed]);
    for (const digest of list.listed) groups.union(`m:${list.subject}`, `m:${digest}`);
  }

  // Each group's newest use, and whether anything in it is fresh.
  const kept = new Set<string>();
  const seen = new Set<string>();
  const consider = (id: string, modified: Date, used: number) => {
    const root = groups.find(id);
    seen.add(root);
    if (retained(new Date(Math.max(modified.getTime(), used))) || fresh(modified)) kept.add(root);
  };
  for (const m of inventory.manifests) consider(`m:${m.digest}`, m.modified, servedAt.get(m.digest) ?? 0);
  for (const r of inventory.imageRecords) consider(`r:${r.key}`, r.modified, 0);

  // Mark from the kept groups' members.
  const keptManifests = new Set<string>();
  const markedBlobs = new Set<string>();
  const queue: string[] = [];
  const markManifest = (digest: string) => {
    if (keptManifests.has(digest)) return;
    keptManifests.add(digest);
    queue.push(digest);
  };
  for (const m of inventory.manifests) if (kept.has(groups.find(`m:${m.digest}`))) markManifest(m.digest);
  const keptRecords = inventory.imageRecords.filter((r) => kept.has(groups.find(`r:${r.key}`)));
  for (const r of keptRecords) {
    for (const digest of r.manifests) markManifest(digest);
    for (const digest of r.blobs) markedBlobs.add(digest);
  }
  while (queue.length > 0) {
    const digest = queue.pop() as string;
    const refs = manifests.get(digest)?.refs;
    for (const blob of refs?.blobs ?? []) markedBlobs.add(blob.digest);
    for (const child of refs?.manifests ?? []) markManifest(child);
    for (const referrer of referrersOf.get(digest) ?? []) markManifest(referrer);
  }

  const deleteBlobs: BlobInfo[] = [];
  const blobs = { kept: 0, keptBytes: 0, fresh: 0 };
  for (const blob of inventory.blobs) {
    if (markedBlobs.has(blob.digest) || fresh(blob.modified)) {
      blobs.kept++;
      blobs.keptBytes += blob.size;
      if (!markedBlobs.has(blob.digest)) blobs.fresh++;
    } else deleteBlobs.push(blob);
  }
  const swept = new Set(deleteBlobs.map((b) => b.digest));

  const deleteObjects: GcPlan['deleteObjects'] = [];
  for (const r of inventory.imageRecords) {
    if (!kept.has(groups.find(`r:${r.key}`))) deleteObjects.push({ key: r.key, kind: 'image-record' });
  }
  for (const list of inventory.referrers) {
    if (!keptManifests.has(list.subject) && !fresh(list.modified))
      deleteObjects.push({ key: list.key, kind: 'referrers' });
  }
  for (const m of inventory.manifests) {
    if (!keptManifests.has(m.digest))
      deleteObjects.push({ key: manifestObjectKey(m.digest), kind: 'manifest' });
  }
  for (const s of inventory.served) {
    if (!keptManifests.has(s.digest) && !fresh(s.modified))
      deleteObjects.push({ key: s.key, kind: 'served' });
  }
  for (const entry of inventory.layerEntries) {
    if (entry.digest !== null && swept.has(entry.digest))
      deleteObjects.push({ key: entry.key, kind: 'layer-entry' });
  }

  const expired = [...seen].filter((root) => !kept.has(root)).length;
  return {
    images: { kept: seen.size - expired, expired },
    keptManifests,
    markedBlobs,
    deleteObjects,
    deleteBlobs,
    blobs,
  };
}

class UnionFind {
  private readonly parent = new Map<string, string>();

  add(id: string): void {
    if (!this.parent.has(id)) this.parent.set(id, id);
  }

  find(id: string): string {
    this.add(id);
    let root = id;
    while (this.parent.get(root) !== root) root = this.parent.get(root) as string;
    // Path compression keeps later finds flat.
    for (let at = id; at !== root; ) {
      const next = this.parent.get(at) as string;
      this.parent.set(at, root);
      at = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

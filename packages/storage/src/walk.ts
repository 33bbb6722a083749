// The one walk over a storage's keyed objects, shared by `nixery verify` and garbage collection:
// one listing per folder of OBJECT_PREFIXES, each key classified by the layout.
import { classifyObjectKey, OBJECT_PREFIXES } from './layout.js';
import type { ObjectInfo, Storage } from './types.js';

export interface StoredObjects {
  /** `layers/<key>.json` */
  layerEntries: ObjectInfo[];
  /** `manifests/sha256/<hex>`: image manifests, SBOM artifact manifests, indexes. */
  manifests: (ObjectInfo & { digest: string })[];
  /** `manifests/<key>.json`: built images. */
  imageRecords: (ObjectInfo & { cacheKey: string })[];
  /** `referrers/sha256/<hex>`, by subject digest. */
  referrers: (ObjectInfo & { subject: string })[];
  /** `served/sha256/<hex>`, by manifest digest. */
  served: (ObjectInfo & { digest: string })[];
}

/** Lists every object verify and GC know about, by kind; anything else is left out. */
export async function listStoredObjects(storage: Storage): Promise<StoredObjects> {
  const found: StoredObjects = {
    layerEntries: [],
    manifests: [],
    imageRecords: [],
    referrers: [],
    served: [],
  };
  for (const prefix of OBJECT_PREFIXES) {
    for await (const info of storage.listObjects(prefix)) {
      const kind = classifyObjectKey(info.key);
      if (kind.kind === 'layer-entry') found.layerEntries.push(info);
      else if (kind.kind === 'manifest') found.manifests.push({ ...info, digest: kind.digest });
      else if (kind.kind === 'image-record') found.imageRecords.push({ ...info, cacheKey: kind.cacheKey });
      else if (kind.kind === 'referrers') found.referrers.push({ ...info, subject: kind.subject });
      else if (kind.kind === 'served') found.served.push({ ...info, digest: kind.digest });
    }
  }
  return found;
}

import { LRUCache } from 'lru-cache';

/** One image this instance built or served recently: what the explorer's sharing column needs. */
export interface RecentImage {
  name: string;
  tag: string;
  arch: string;
  /** Layer digests in manifest order (the root layer last). */
  layers: string[];
  at: string;
}

/**
 * A bounded index of the images served lately (by tag, newest first), so the explorer can say
 * which other images hold a layer. Memory only: a restart starts it empty, and each instance
 * behind a load balancer knows its own.
 */
export class RecentImages {
  private readonly images: LRUCache<string, RecentImage>;

  constructor(max = 200) {
    this.images = new LRUCache({ max });
  }

  note(image: Omit<RecentImage, 'at'>): void {
    this.images.set(`${image.name}:${image.tag}`, { ...image, at: new Date().toISOString() });
  }

  /** Newest first. */
  list(): RecentImage[] {
    return [...this.images.values()];
  }

  /** The other images (not `name:tag`) that hold the layer `digest`, newest first. */
  sharing(digest: string, except: { name: string; tag: string }): { name: string; tag: string }[] {
    const found: { name: string; tag: string }[] = [];
    for (const image of this.images.values()) {
      if (image.name === except.name && image.tag === except.tag) continue;
      if (image.layers.includes(digest)) found.push({ name: image.name, tag: image.tag });
    }
    return found;
  }
}

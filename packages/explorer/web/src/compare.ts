import type { ImageReport } from '../../src/report.js';

export interface Comparison {
  /** Bytes of `to`'s layers a client holding `from` already has. */
  sharedBytes: number;
  /** Bytes of `to`'s layers such a client downloads. */
  downloadBytes: number;
  totalBytes: number;
  sharedDigests: Set<string>;
}

/**
 * What a client holding image `from` downloads to pull image `to`: every layer of `to` whose
 * digest it does not hold (the config blob, a few hundred bytes, is left out).
 */
export function compareImages(from: ImageReport, to: ImageReport): Comparison {
  const held = new Set(from.layers.map((l) => l.digest).filter((d): d is string => d !== null));
  const sharedDigests = new Set<string>();
  let sharedBytes = 0;
  let downloadBytes = 0;
  const counted = new Set<string>();
  for (const layer of to.layers) {
    if (layer.digest === null || counted.has(layer.digest)) continue;
    counted.add(layer.digest);
    const size = layer.compressedSize ?? 0;
    if (held.has(layer.digest)) {
      sharedDigests.add(layer.digest);
      sharedBytes += size;
    } else {
      downloadBytes += size;
    }
  }
  return { sharedBytes, downloadBytes, totalBytes: sharedBytes + downloadBytes, sharedDigests };
}

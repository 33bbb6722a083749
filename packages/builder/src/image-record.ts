// The stored shape of a built image (and its manifest names) is @nixery/storage's layout; the
// builder re-exports it under the names it has always had.
export type { ImageRecord, LayerRecord, ManifestRef, ReferrerRecord } from '@nixery/storage';
export { manifestObjectKey, referrersObjectKey } from '@nixery/storage';

/** How long each stage of a build took, in milliseconds. */
export interface BuildTimings {
  nixMs: number;
  groupingMs: number;
  layersMs: number;
  totalMs: number;
  layersWritten: number;
  layersReused: number;
}

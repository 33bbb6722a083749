/** One thing wrong in storage. `key` is an object key, `digest` a blob digest. */
export type Problem =
  /** The blob's bytes do not hash to the digest it is stored under. */
  | { kind: 'blob-corrupt'; digest: string; actualDigest: string; size: number }
  /** Reading the blob failed (the backend's error message). */
  | { kind: 'blob-unreadable'; digest: string; message: string }
  /** A layer-cache entry that cannot be parsed. */
  | { kind: 'layer-entry-invalid'; key: string; message: string }
  /** A layer-cache entry whose blob is missing, corrupt or of another size. */
  | { kind: 'layer-entry-dangling'; key: string; digest: string; reason: string }
  /** A manifest stored by digest whose bytes hash differently or are not a manifest. */
  | { kind: 'manifest-invalid'; key: string; digest: string; message: string }
  /** A manifest whose config or layer blobs are missing, corrupt or of another size. */
  | { kind: 'manifest-dangling'; key: string; digest: string; missing: string[] }
  /** A manifest-cache record (built image) that cannot be parsed. */
  | { kind: 'image-record-invalid'; key: string; message: string }
  /** A manifest-cache record naming manifests or blobs that are not (intact) in storage. */
  | { kind: 'image-record-dangling'; key: string; missing: string[] };

/** What --repair did about a problem. */
export interface Repair {
  action: 'delete-blob' | 'delete-object';
  /** The digest (delete-blob) or object key (delete-object) removed. */
  target: string;
  problem: Problem['kind'];
}

export function describeProblem(problem: Problem): string {
  switch (problem.kind) {
    case 'blob-corrupt':
      return `blob ${problem.digest} is corrupt: its ${problem.size} bytes hash to ${problem.actualDigest}`;
    case 'blob-unreadable':
      return `blob ${problem.digest} cannot be read: ${problem.message}`;
    case 'layer-entry-invalid':
      return `layer cache entry ${problem.key} is invalid: ${problem.message}`;
    case 'layer-entry-dangling':
      return `layer cache entry ${problem.key} points to blob ${problem.digest}, which ${problem.reason}`;
    case 'manifest-invalid':
      return `manifest ${problem.key} is invalid: ${problem.message}`;
    case 'manifest-dangling':
      return `manifest ${problem.digest} refers to blobs that are missing or bad: ${problem.missing.join(', ')}`;
    case 'image-record-invalid':
      return `manifest cache entry ${problem.key} is invalid: ${problem.message}`;
    case 'image-record-dangling':
      return `manifest cache entry ${problem.key} refers to things that are missing or bad: ${problem.missing.join(', ')}`;
  }
}

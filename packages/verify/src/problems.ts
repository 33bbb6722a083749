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
  /** A referrers list (`referrers/sha256/<hex>`) that cannot be parsed. */
  | { kind: 'referrers-invalid'; key: string; subject: string; message: string }
  /** A referrers list naming manifests that are missing, bad, of another size or another subject. */
  | { kind: 'referrers-dangling'; key: string; subject: string; missing: string[] }
  /** A manifest-cache record (built image) that cannot be parsed. */
  | { kind: 'image-record-invalid'; key: string; message: string }
  /** A manifest-cache record naming manifests or blobs that are not (intact) in storage. */
  | { kind: 'image-record-dangling'; key: string; missing: string[] }
  /** Entries under staging/: uploads a crash cut short (or, while a server writes layers, in progress). */
  | { kind: 'staging-leftovers'; count: number; bytes: number; oldestAgeMs: number }
  /**
   * GC-root folders whose build process is gone; `bytes` is the closure their roots keep from
   * Nix's garbage collector (null when Nix could not tell).
   */
  | { kind: 'gc-roots-stale'; count: number; bytes: number | null; oldestAgeMs: number; paths: string[] };

/** Problems about a stored object (repair deletes the object). */
export type ObjectProblem = Extract<Problem, { key: string }>;

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
    case 'referrers-invalid':
      return `referrers list ${problem.key} is invalid: ${problem.message}`;
    case 'referrers-dangling':
      return `referrers list of ${problem.subject} names manifests that are missing, bad or not its referrers: ${problem.missing.join(', ')}`;
    case 'image-record-invalid':
      return `manifest cache entry ${problem.key} is invalid: ${problem.message}`;
    case 'image-record-dangling':
      return `manifest cache entry ${problem.key} refers to things that are missing or bad: ${problem.missing.join(', ')}`;
    case 'staging-leftovers':
      return `staging holds ${plural(problem.count, 'unfinished upload')} (${problem.bytes} bytes, the oldest written ${seconds(problem.oldestAgeMs)} ago): left by a crash, or in progress if a server is writing layers now`;
    case 'gc-roots-stale':
      return `${plural(problem.count, 'stale GC-root folder')} (the build that made ${problem.count === 1 ? 'it' : 'them'} is gone, the oldest last changed ${seconds(problem.oldestAgeMs)} ago) keep${problem.count === 1 ? 's' : ''} ${problem.bytes === null ? 'an unknown number of' : problem.bytes} bytes of store paths from garbage collection: ${problem.paths.join(', ')}`;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

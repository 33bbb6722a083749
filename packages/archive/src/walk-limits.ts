/**
 * Bounds of the root-forest walk. A forest only merges the requested packages' own trees, so
 * real images stay far below these; they exist so that no package, however shaped, can make
 * the walk run unbounded.
 */
export interface ForestLimits {
  /** Most entries the forest may have (default 500,000; a large texlive is ~200,000). */
  maxEntries?: number;
  /** Deepest directory nesting below the image root (default 100). */
  maxDepth?: number;
  /** How long the walk may take, in milliseconds (default 120,000). */
  timeoutMs?: number;
}

export const DEFAULT_FOREST_LIMITS: Required<ForestLimits> = {
  maxEntries: 500_000,
  maxDepth: 100,
  timeoutMs: 120_000,
};

export type ForestLimitReason = 'entries' | 'depth' | 'deadline';

/** A forest broke one of its bounds; names the package whose entry broke it. */
export class ForestLimitError extends Error {
  override readonly name = 'ForestLimitError';
  constructor(
    readonly reason: ForestLimitReason,
    /** The package (store path, as named in the image) providing the offending entry. */
    readonly packagePath: string,
    readonly limit: number,
  ) {
    super(`the image root of ${packagePath} ${describe(reason, limit)}`);
  }
}

function describe(reason: ForestLimitReason, limit: number): string {
  switch (reason) {
    case 'entries':
      return `has more than ${limit} entries`;
    case 'depth':
      return `nests directories deeper than ${limit} levels`;
    case 'deadline':
      return `took longer than ${limit} ms to walk`;
  }
}

/** Counts a walk's entries against its bounds, and notices a deadline or an abort. */
export class WalkBudget {
  private entries = 0;
  private readonly limits: Required<ForestLimits>;
  private readonly deadline: number;

  constructor(
    limits: ForestLimits = {},
    private readonly signal?: AbortSignal,
  ) {
    this.limits = { ...DEFAULT_FOREST_LIMITS, ...definedOnly(limits) };
    this.deadline = Date.now() + this.limits.timeoutMs;
  }

  /** Called before each entry is emitted; `depth` is 1 for children of the image root. */
  admit(packagePath: string, depth: number): void {
    this.checkAlive(packagePath);
    if (++this.entries > this.limits.maxEntries)
      throw new ForestLimitError('entries', packagePath, this.limits.maxEntries);
    if (depth > this.limits.maxDepth) throw new ForestLimitError('depth', packagePath, this.limits.maxDepth);
  }

  /** Throws the abort reason, or a deadline error, so a walk stops between file-system calls. */
  checkAlive(packagePath: string): void {
    this.signal?.throwIfAborted();
    if (Date.now() > this.deadline)
      throw new ForestLimitError('deadline', packagePath, this.limits.timeoutMs);
  }
}

function definedOnly(limits: ForestLimits): ForestLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}

/** Median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The item whose `key` is the median (the upper middle one for an even count), for a run's figures. */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new Error('median of an empty list');
  return [...items].sort((a, b) => key(a) - key(b))[items.length >> 1]!;
}

/** Rounds to a few significant digits so tables and JSON stay readable. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const factor = 10 ** Math.max(0, digits - 1 - magnitude);
  return Math.round(value * factor) / factor;
}

export function ratio(ours: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : round(ours / baseline);
}

export const MB = 1_000_000;
export const MiB = 1024 * 1024;

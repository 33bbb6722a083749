/**
 * Reading Nix's stderr for the cause of a failure. Nix prints `error: <message>` with the
 * message's further lines indented, and (2.8) a closing `(use '--show-trace' …)` line; a failed
 * build is announced by `builder for '<drv>' failed` (2.8) or `Cannot build '<drv>'` (newer).
 */

const ERROR_START = /^error:\s?/;
const SHOW_TRACE = /^\s*\(use '--show-trace'/;

/** Each `error:` block of a log, as text without the `error: ` prefix (continuation lines kept). */
export function errorBlocks(lines: readonly string[]): string[] {
  const blocks: string[][] = [];
  let current: string[] | null = null;
  for (const line of lines) {
    if (ERROR_START.test(line)) {
      current = [line.replace(ERROR_START, '')];
      blocks.push(current);
    } else if (current !== null && /^\s+\S/.test(line) && !SHOW_TRACE.test(line)) {
      current.push(line.trim());
    } else {
      current = null;
    }
  }
  return blocks.map((b) => b.join('\n'));
}

/** The first line of the last error block: the one sentence that says why (null if none). */
export function errorSummary(lines: readonly string[]): string | null {
  const blocks = errorBlocks(lines);
  const last = blocks.at(-1);
  return last === undefined ? null : (last.split('\n')[0] ?? null);
}

/** The derivation whose builder failed, when Nix names one. */
export function failedDerivation(lines: readonly string[]): string | null {
  for (const line of lines) {
    const match = /(?:builder for|Cannot build) '(\/[^']+\.drv)'/.exec(line);
    if (match) return match[1] as string;
  }
  return null;
}

/**
 * The log reordered for a reader: `error:` lines (and their continuations) first, then the rest
 * without the long "these N derivations will be built:" listing, which says nothing about why.
 */
export function causeFirst(lines: readonly string[]): string[] {
  const errors: string[] = [];
  const rest: string[] = [];
  let inError = false;
  let inListing = false;
  for (const line of lines) {
    if (ERROR_START.test(line)) {
      inError = true;
      inListing = false;
      errors.push(line);
      continue;
    }
    if (
      /^these \d+ (derivations|paths) will be (built|fetched)/.test(line) ||
      /^this (derivation|path) will be/.test(line)
    ) {
      inError = false;
      inListing = true;
      continue;
    }
    const indented = /^\s+\S/.test(line);
    if (inListing && indented) continue;
    inListing = false;
    if (inError && indented && !SHOW_TRACE.test(line)) {
      errors.push(line);
      continue;
    }
    inError = false;
    rest.push(line);
  }
  return [...errors, ...rest];
}

export type Refusal = 'unfree' | 'broken' | 'insecure' | 'unsupported-platform' | 'other';

/** nixpkgs' meta checks (check-meta.nix) refuse with "Refusing to evaluate package … because it …". */
export function refusalOf(message: string): Refusal | null {
  if (!message.includes('Refusing to evaluate package')) return null;
  if (/because it has an unfree license/.test(message)) return 'unfree';
  if (/because it is marked as broken/.test(message)) return 'broken';
  if (/because it is marked as insecure/.test(message)) return 'insecure';
  if (/is not available on the requested hostPlatform/.test(message)) return 'unsupported-platform';
  return 'other';
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Popularity, parsePopularity } from '@nixery/layers';

/** Loads popularity data from NIX_POPULARITY_URL (http(s) or file URL); none → every path counts 1. */
export async function loadPopularity(url: string | null): Promise<Popularity> {
  if (url === null) return new Map();
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return parsePopularity(await readFile(fileURLToPath(parsed), 'utf8'));
  const response = await fetch(parsed, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Error(`fetching popularity data from ${url} failed: HTTP ${response.status}`);
  return parsePopularity(await response.text());
}

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parsePopularity } from '@nixery/layers';
import { CliError, EXIT } from './exit-codes.js';

/** Reads a file, or stdin for `-`; a missing file is a usage error naming the flag. */
export async function readInput(flag: string, path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      throw new CliError(EXIT.usage, `${flag}: cannot read ${path} (${code})`);
    }
    throw error;
  }
}

/** Parses JSON text, naming the input in the error. */
export function parseJsonInput(flag: string, path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.failure, `${flag}: ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Popularity data (`{"name-version": count}`) from a file, `-`, or an http(s)/file URL (what
 * NIX_POPULARITY_URL holds). No source → empty: every path counts 1, as in Nixery.
 */
export async function loadPopularityInput(
  flag: string,
  location: string | null | undefined,
): Promise<Map<string, number>> {
  if (location === null || location === undefined || location === '') return new Map();
  const text = await readPopularityText(flag, location);
  try {
    return parsePopularity(text);
  } catch (error) {
    throw new CliError(EXIT.failure, `${flag}: ${location}: ${(error as Error).message}`);
  }
}

async function readPopularityText(flag: string, location: string): Promise<string> {
  if (/^https?:\/\//i.test(location)) {
    let response: Response;
    try {
      response = await fetch(location, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new CliError(EXIT.failure, `${flag}: fetching ${location} failed: ${(error as Error).message}`);
    }
    if (!response.ok)
      throw new CliError(EXIT.failure, `${flag}: fetching ${location} failed: HTTP ${response.status}`);
    return response.text();
  }
  if (location.startsWith('file:')) return readInput(flag, fileURLToPath(location));
  return readInput(flag, location);
}

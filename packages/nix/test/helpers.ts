import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { expect } from 'vitest';
import type { NixResult, RuntimeGraphJson } from '../src/index.js';

export const FIXTURE_SET = fileURLToPath(new URL('./fixtures/pkgs', import.meta.url));
export const BUNDLED_SET = bundledPackageSetPath;

/** The `source` argument for a local package set. */
export function pathSource(path: string) {
  return { nixArg: JSON.stringify({ kind: 'path', path }) };
}

/** No binary cache: this machine is offline. */
export const OFFLINE = { substituters: '' } as const;

function nixStore(args: string[]): string[] {
  return execFileSync('nix-store', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Checks the graph against nix-store's own answers: same closure, same references per path. */
export function expectGraphMatchesNixStore(graph: RuntimeGraphJson, roots: string[]): void {
  const closure = nixStore(['-qR', ...roots]).sort();
  expect(graph.graph.map((p) => p.path)).toEqual(closure);
  for (const info of graph.graph) {
    expect(new Set(info.references), info.path).toEqual(new Set(nixStore(['-q', '--references', info.path])));
    expect(info.narHash).toMatch(/^sha256[:-]/);
    expect(info.narSize).toBeGreaterThan(0);
    expect(info.closureSize).toBeGreaterThanOrEqual(info.narSize);
  }
}

export function expectOk(result: NixResult): asserts result is Extract<NixResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected a successful build, got ${JSON.stringify(result)}`);
}

/** Process ids whose command line or environment contains `needle` (Linux /proc). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cmdline.includes(needle) || environ.includes(needle) || cwd.includes(needle))
        found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

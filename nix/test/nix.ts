// Runs the real Nix against the demo package set. No substituters: the machine is offline
// and the set is built from scratch locally.
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';

export const pkgsDir = fileURLToPath(new URL('../pkgs', import.meta.url));
const packageListFile = fileURLToPath(new URL('./package-list.nix', import.meta.url));

export const nixEnv = {
  NIX_CONFIG: 'substituters =\nexperimental-features = nix-command',
};

/** Attribute paths that are there for error tests and are never part of a normal build. */
export const specialAttrs = ['slowDemo', 'brokenDemo'];

export interface PackageEntry {
  attr: string;
  name: string;
  system: string;
  /** False when the set refuses the package for this system (no drvPath, no output). */
  available: boolean;
  drvPath: string | null;
  out: string | null;
  description: string | null;
}

export interface PathInfo {
  path: string;
  narSize: number;
  closureSize: number;
  references: string[];
}

export function runNix(command: string, args: string[]): Promise<Result<{ reject: false }>> {
  return execa(command, args, { env: nixEnv, reject: false });
}

async function runNixOrThrow(command: string, args: string[]): Promise<string> {
  const result = await runNix(command, args);
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.exitCode}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Every derivation of the set, evaluated (not built), with the set's arguments as strings. */
export async function listPackages(
  setArgs: { system?: string; slowSeconds?: string } = {},
): Promise<PackageEntry[]> {
  // nix-instantiate --eval calls the file's function only when it is given arguments.
  const args = ['--arg', 'system', 'builtins.currentSystem'];
  for (const [name, value] of Object.entries(setArgs)) args.push('--argstr', name, value);
  const stdout = await runNixOrThrow('nix-instantiate', [
    '--eval',
    '--strict',
    '--json',
    packageListFile,
    ...args,
  ]);
  return JSON.parse(stdout) as PackageEntry[];
}

/** Builds the attributes (one nix-build call) and returns their output paths in order. */
export async function buildAttrs(attrs: string[], extraArgs: string[] = []): Promise<string[]> {
  const attrArgs = attrs.flatMap((attr) => ['-A', attr]);
  const stdout = await runNixOrThrow('nix-build', [pkgsDir, '--no-out-link', ...attrArgs, ...extraArgs]);
  return stdout.split('\n').filter((line) => line.length > 0);
}

/** `nix path-info --json --recursive --closure-size`: a list in Nix 2.8, an object keyed by path later. */
export async function pathInfo(paths: string[]): Promise<Map<string, PathInfo>> {
  const stdout = await runNixOrThrow('nix', [
    'path-info',
    '--json',
    '--recursive',
    '--closure-size',
    ...paths,
  ]);
  const parsed = JSON.parse(stdout) as PathInfo[] | Record<string, Omit<PathInfo, 'path'>>;
  const entries = Array.isArray(parsed)
    ? parsed
    : Object.entries(parsed).map(([path, info]) => ({ ...info, path }));
  return new Map(entries.map((info) => [info.path, info]));
}

/** The runtime closure of the paths (`nix-store -qR`). */
export async function closureOf(paths: string[]): Promise<string[]> {
  const stdout = await runNixOrThrow('nix-store', ['-qR', ...paths]);
  return stdout.split('\n').filter((line) => line.length > 0);
}

/** The store path name without `/nix/store/<hash>-`. */
export function storeName(path: string): string {
  return path.replace(/^\/nix\/store\/[0-9a-z]{32}-/, '');
}

// GC-root folders: where a build keeps its outputs alive against Nix's garbage collector until
// its layers are written. Each build gets one subfolder of a known parent, named after the
// process that owns it, so a folder whose owner is gone (a crash) can be told from a live one.
import { mkdir, mkdtemp, opendir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePathInfoJson } from './path-info.js';
import { CLOSURE_PATH_INFO_ARGS, runNix } from './run-nix.js';

/** `<tmpdir>/nixery-gcroots`: the parent used when none is configured. */
export function defaultGcRootsParent(): string {
  return join(tmpdir(), 'nixery-gcroots');
}

/** Who made a GC-root folder: host name, process id and that process's start time. */
export interface GcRootOwner {
  host: string;
  pid: number;
  /** Clock ticks after boot when the process started (Linux /proc); 0 where unknown. */
  startTicks: number;
}

export type GcRootFolderState =
  /** Its owner runs on this host: a build is in progress. */
  | 'live'
  /** Its owner is gone (or its pid now belongs to another process): a crash left it. */
  | 'stale'
  /** Made on another host; whether its owner lives cannot be known from here. */
  | 'foreign';

export interface GcRootFolder {
  path: string;
  owner: GcRootOwner;
  state: GcRootFolderState;
  /** Last change (Nix adds its `result*` links when a build finishes), ms since the epoch. */
  modifiedMs: number;
  /** Store paths the folder's links point to, i.e. what it keeps from the garbage collector. */
  storePaths: string[];
}

// <host>_<pid>_<startTicks>_<6 random characters from mkdtemp>; the host is greedy so that an
// underscore in it (not allowed by DNS, seen in the wild) still parses.
const FOLDER_NAME = /^(.+)_(\d+)_(\d+)_[A-Za-z0-9]{6}$/;

/**
 * A fresh, empty GC-root folder for one build, under `parent` (created when missing, private to
 * this user). The caller removes it when the build no longer needs its store paths.
 */
export async function createGcRootFolder(parent: string = defaultGcRootsParent()): Promise<string> {
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const owner = await currentOwner();
  return mkdtemp(join(parent, `${owner.host}_${owner.pid}_${owner.startTicks}_`));
}

/** Every GC-root folder under `parent` with its owner and state; other entries are ignored. */
export async function listGcRootFolders(parent: string = defaultGcRootsParent()): Promise<GcRootFolder[]> {
  let directory: Awaited<ReturnType<typeof opendir>>;
  try {
    directory = await opendir(parent);
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  const me = await currentOwner();
  const folders: GcRootFolder[] = [];
  for await (const entry of directory) {
    const match = entry.isDirectory() ? FOLDER_NAME.exec(entry.name) : null;
    if (!match) continue;
    const owner = { host: match[1] as string, pid: Number(match[2]), startTicks: Number(match[3]) };
    const path = join(parent, entry.name);
    try {
      const info = await stat(path);
      folders.push({
        path,
        owner,
        state: await ownerState(owner, me.host),
        modifiedMs: info.mtimeMs,
        storePaths: await linkTargets(path),
      });
    } catch (error) {
      if (!isMissing(error)) throw error; // removed by its owner while we looked
    }
  }
  return folders.sort((a, b) => a.modifiedMs - b.modifiedMs);
}

/** Removes the stale GC-root folders under `parent` (never a live or foreign one); returns them. */
export async function removeStaleGcRootFolders(
  parent: string = defaultGcRootsParent(),
): Promise<GcRootFolder[]> {
  const stale = (await listGcRootFolders(parent)).filter((folder) => folder.state === 'stale');
  for (const folder of stale) await rm(folder.path, { recursive: true, force: true });
  return stale;
}

/**
 * Bytes (NAR size) of the union of the closures of `storePaths`: what GC roots on them keep
 * from a collection at most (paths rooted elsewhere stay anyway). null when Nix cannot tell.
 */
export async function closureBytes(
  storePaths: string[],
  options: { nixPath?: string; timeoutMs?: number } = {},
): Promise<number | null> {
  if (storePaths.length === 0) return 0;
  const run = await runNix(options.nixPath ?? 'nix', [...CLOSURE_PATH_INFO_ARGS, ...new Set(storePaths)], {
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  if (run.exitCode !== 0) return null;
  return parsePathInfoJson(run.stdout).reduce((sum, info) => sum + info.narSize, 0);
}

let me: Promise<GcRootOwner> | null = null;

function currentOwner(): Promise<GcRootOwner> {
  me ??= (async () => ({
    host: safeHostName(hostname()),
    pid: process.pid,
    startTicks: (await startTicksOf(process.pid)) ?? 0,
  }))();
  return me;
}

async function ownerState(owner: GcRootOwner, thisHost: string): Promise<GcRootFolderState> {
  if (owner.host !== thisHost) return 'foreign';
  if (!processExists(owner.pid)) return 'stale';
  // The pid may have been reused (a container restarts its server as pid 1): compare start times.
  if (owner.startTicks === 0) return 'live';
  const ticks = await startTicksOf(owner.pid);
  return ticks === null || ticks === owner.startTicks ? 'live' : 'stale';
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, but someone else's
  }
}

/** Field 22 of /proc/<pid>/stat; null where there is no /proc or the process is gone. */
async function startTicksOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; count after it.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(ticks) && ticks > 0 ? ticks : null;
  } catch {
    return null;
  }
}

async function linkTargets(folder: string): Promise<string[]> {
  const targets: string[] = [];
  for await (const entry of await opendir(folder)) {
    if (!entry.isSymbolicLink()) continue;
    try {
      targets.push(await readlink(join(folder, entry.name)));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
  return targets.sort();
}

function safeHostName(name: string): string {
  return name.replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

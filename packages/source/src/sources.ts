import { resolve } from 'node:path';
import { sha256Hex } from '@nixery/digest';
import { bundledPackageSetPath, bundledPopularityUrl } from '@nixery/nix-expressions';
import { ConfigError, TagError } from './errors.js';
import type { ImageRequest } from './image-name.js';
import { validateTag } from './tag.js';

/** Where the Nix package set comes from (exactly one per server, as in Nixery). */
export type PackageSource =
  | { kind: 'path'; path: string }
  | { kind: 'channel'; channel: string }
  | { kind: 'git'; url: string };

/** A package source fixed for one request's tag. */
export interface ResolvedSource {
  kind: PackageSource['kind'];
  /** JSON handed to nix/image.nix as `--argstr source`. */
  nixArg: string;
  /** True when the source names immutable content (a commit), so results may be cached. */
  pinned: boolean;
  /** Identifies the content: the commit for pinned sources; descriptive otherwise. */
  id: string;
}

const COMMIT = /^[0-9a-f]{40}$/;
/** nixpkgs channel / branch names (`nixos-unstable`, `nixos-24.05`, `nixpkgs-unstable`, `release-23.11`). */
const CHANNEL_NAME = /^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$/;

export function isCommit(value: string): boolean {
  return COMMIT.test(value);
}

/** Channel names and 40-hex nixpkgs commits; anything else would be spliced into a URL, so refuse it. */
export function isValidChannel(channel: string): boolean {
  return COMMIT.test(channel) || (CHANNEL_NAME.test(channel) && channel.length <= 100);
}

/** The demo package set (`nix/pkgs`, located by its own package, @nixery/nix-expressions). */
export const BUNDLED_PACKAGE_SET_PATH = bundledPackageSetPath;
/**
 * Popularity counted over the whole bundled set (`nixery popularity --all`), used when that set is
 * served and NIX_POPULARITY_URL is not given, as Nixery uses its channel's published counts.
 */
export const BUNDLED_POPULARITY_URL = bundledPopularityUrl;

export const SOURCE_VARIABLES = ['NIXERY_CHANNEL', 'NIXERY_PKGS_REPO', 'NIXERY_PKGS_PATH'] as const;

/**
 * Nixery's source variables; exactly one may be set. None set → the bundled package set
 * (`bundledPath` overrides where that is, e.g. for an installed copy).
 */
export function sourceFromEnv(
  env: Record<string, string | undefined>,
  bundledPath: string = BUNDLED_PACKAGE_SET_PATH,
): PackageSource {
  const problems = sourceProblems(env);
  if (problems.length > 0) throw new ConfigError(problems);
  const channel = nonEmpty(env.NIXERY_CHANNEL);
  if (channel !== undefined) return { kind: 'channel', channel };
  const url = nonEmpty(env.NIXERY_PKGS_REPO);
  if (url !== undefined) return { kind: 'git', url };
  const path = nonEmpty(env.NIXERY_PKGS_PATH);
  return { kind: 'path', path: resolve(path ?? bundledPath) };
}

/** Every problem with the source variables (used by sourceFromEnv and loadConfig). */
export function sourceProblems(env: Record<string, string | undefined>): string[] {
  const set = SOURCE_VARIABLES.filter((v) => nonEmpty(env[v]) !== undefined);
  const problems: string[] = [];
  if (set.length > 1) {
    problems.push(`only one package source may be set, but ${set.join(', ')} are set`);
  }
  const channel = nonEmpty(env.NIXERY_CHANNEL);
  if (channel !== undefined && !isValidChannel(channel)) {
    problems.push(
      `NIXERY_CHANNEL=${JSON.stringify(channel)} is neither a channel name (like nixos-unstable or nixos-24.05) nor a 40-hex nixpkgs commit`,
    );
  }
  return problems;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Fixes the source for one tag. Git: `latest` → default branch, 40-hex → that commit (pinned),
 * anything else → that branch or tag. Channel: the tag is ignored (as in Nixery); pinned when the
 * channel is a commit. Path: only `latest` exists; other tags are unknown manifests, never
 * silently the same image.
 */
export function resolveSourceForTag(source: PackageSource, tag: string): ResolvedSource {
  validateTag(tag);
  switch (source.kind) {
    case 'path': {
      if (tag !== 'latest') {
        throw new TagError(
          'tag-not-served',
          `this instance serves a local package set; only the tag 'latest' exists (asked for ${JSON.stringify(tag)})`,
        );
      }
      return {
        kind: 'path',
        nixArg: JSON.stringify({ kind: 'path', path: source.path }),
        pinned: false,
        id: `path:${source.path}`,
      };
    }
    case 'channel': {
      const pinned = isCommit(source.channel);
      return {
        kind: 'channel',
        nixArg: JSON.stringify({ kind: 'channel', channel: source.channel }),
        pinned,
        id: pinned ? `nixpkgs:${source.channel}` : `channel:${source.channel}`,
      };
    }
    case 'git': {
      if (tag === 'latest') {
        return {
          kind: 'git',
          nixArg: JSON.stringify({ kind: 'git', url: source.url }),
          pinned: false,
          id: `git:${source.url}#HEAD`,
        };
      }
      if (isCommit(tag)) {
        return {
          kind: 'git',
          nixArg: JSON.stringify({ kind: 'git', url: source.url, rev: tag }),
          pinned: true,
          id: `git:${source.url}@${tag}`,
        };
      }
      return {
        kind: 'git',
        nixArg: JSON.stringify({ kind: 'git', url: source.url, ref: tag }),
        pinned: false,
        id: `git:${source.url}#${tag}`,
      };
    }
  }
}

/**
 * Key of the manifest cache, or null when the source may change under the same tag.
 * Fields are NUL-separated (NUL cannot occur in names, URLs or arch), and the architecture is
 * part of the key, so neither `ab`+`c` / `a`+`bc` nor `hello` / `arm64/hello` collide.
 */
export function manifestCacheKey(request: ImageRequest, resolved: ResolvedSource): string | null {
  if (!resolved.pinned) return null;
  const fields = ['nixery-manifest-v1', resolved.id, request.arch, request.system, ...request.packages];
  return sha256Hex(fields.join('\0'));
}

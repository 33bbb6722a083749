import { describe, expect, test } from 'vitest';
import {
  BUNDLED_PACKAGE_SET_PATH,
  ConfigError,
  manifestCacheKey,
  type PackageSource,
  parseImageName,
  resolveSourceForTag,
  sourceFromEnv,
  TagError,
  validateTag,
} from '../src/index.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('tags', () => {
  test.each(['latest', 'v1.0', '_x', COMMIT, 'A'.repeat(128)])('%s is valid', (tag) => {
    expect(validateTag(tag)).toBe(tag);
  });
  test.each(['', '.x', '-x', 'a/b', 'a:b', 'A'.repeat(129)])('%j is invalid', (tag) => {
    const error = thrown(() => validateTag(tag));
    expect(error).toBeInstanceOf(TagError);
    expect((error as TagError).reason).toBe('invalid-tag');
  });
});

describe('sourceFromEnv', () => {
  test('no variables → the bundled package set', () => {
    expect(sourceFromEnv({})).toEqual({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH });
    expect(BUNDLED_PACKAGE_SET_PATH).toMatch(/\/nix\/pkgs$/);
    expect(sourceFromEnv({}, '/opt/pkgs')).toEqual({ kind: 'path', path: '/opt/pkgs' });
    expect(sourceFromEnv({ NIXERY_CHANNEL: '' })).toEqual({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH });
  });

  test('each variable selects its kind', () => {
    expect(sourceFromEnv({ NIXERY_CHANNEL: 'nixos-24.05' })).toEqual({
      kind: 'channel',
      channel: 'nixos-24.05',
    });
    expect(sourceFromEnv({ NIXERY_CHANNEL: COMMIT })).toEqual({ kind: 'channel', channel: COMMIT });
    expect(sourceFromEnv({ NIXERY_PKGS_REPO: 'https://example.org/pkgs.git' })).toEqual({
      kind: 'git',
      url: 'https://example.org/pkgs.git',
    });
    expect(sourceFromEnv({ NIXERY_PKGS_PATH: '/srv/nixpkgs' })).toEqual({
      kind: 'path',
      path: '/srv/nixpkgs',
    });
  });

  test('relative paths are made absolute', () => {
    expect(sourceFromEnv({ NIXERY_PKGS_PATH: 'pkgs' })).toEqual({
      kind: 'path',
      path: `${process.cwd()}/pkgs`,
    });
  });

  test('more than one source is an error naming them', () => {
    const error = thrown(() => sourceFromEnv({ NIXERY_CHANNEL: 'nixos-unstable', NIXERY_PKGS_PATH: '/x' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/NIXERY_CHANNEL, NIXERY_PKGS_PATH are set/);
  });

  test('a channel that could smuggle URL text is refused', () => {
    for (const channel of ['nixos-unstable/../x', 'a b', 'NIXOS', 'x?y', `${COMMIT}0`]) {
      expect(thrown(() => sourceFromEnv({ NIXERY_CHANNEL: channel }))).toBeInstanceOf(ConfigError);
    }
  });
});

describe('resolveSourceForTag', () => {
  const git: PackageSource = { kind: 'git', url: 'https://example.org/pkgs.git' };

  test('git: latest is the default branch, a commit is pinned, other tags are refs', () => {
    expect(resolveSourceForTag(git, 'latest')).toMatchObject({ kind: 'git', pinned: false });
    expect(JSON.parse(resolveSourceForTag(git, 'latest').nixArg)).toEqual({ kind: 'git', url: git.url });
    const pinned = resolveSourceForTag(git, COMMIT);
    expect(pinned.pinned).toBe(true);
    expect(JSON.parse(pinned.nixArg)).toEqual({ kind: 'git', url: git.url, rev: COMMIT });
    const ref = resolveSourceForTag(git, 'release-1');
    expect(ref.pinned).toBe(false);
    expect(JSON.parse(ref.nixArg)).toEqual({ kind: 'git', url: git.url, ref: 'release-1' });
  });

  test('channel: pinned only for commits', () => {
    expect(resolveSourceForTag({ kind: 'channel', channel: 'nixos-unstable' }, 'latest').pinned).toBe(false);
    const pinned = resolveSourceForTag({ kind: 'channel', channel: COMMIT }, 'latest');
    expect(pinned.pinned).toBe(true);
    expect(JSON.parse(pinned.nixArg)).toEqual({ kind: 'channel', channel: COMMIT });
  });

  test('path: only latest exists', () => {
    const source: PackageSource = { kind: 'path', path: '/srv/pkgs' };
    expect(JSON.parse(resolveSourceForTag(source, 'latest').nixArg)).toEqual({
      kind: 'path',
      path: '/srv/pkgs',
    });
    const error = thrown(() => resolveSourceForTag(source, 'v2'));
    expect(error).toBeInstanceOf(TagError);
    expect((error as TagError).reason).toBe('tag-not-served');
    expect((error as TagError).message).toMatch(/only the tag 'latest' exists/);
  });

  test('invalid tags are refused for every source', () => {
    const error = thrown(() => resolveSourceForTag(git, '-bad'));
    expect((error as TagError).reason).toBe('invalid-tag');
  });
});

describe('manifestCacheKey', () => {
  const pinned = resolveSourceForTag({ kind: 'git', url: 'https://example.org/pkgs.git' }, COMMIT);

  test('is a sha256 hex for pinned sources and stable', () => {
    const key = manifestCacheKey(parseImageName('hello'), pinned);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(manifestCacheKey(parseImageName('hello'), pinned)).toBe(key);
    expect(manifestCacheKey(parseImageName('hello/hello'), pinned)).toBe(key);
  });

  test('includes the architecture', () => {
    expect(manifestCacheKey(parseImageName('hello'), pinned)).not.toBe(
      manifestCacheKey(parseImageName('arm64/hello'), pinned),
    );
  });

  test('delimits package names', () => {
    expect(manifestCacheKey(parseImageName('ab/c'), pinned)).not.toBe(
      manifestCacheKey(parseImageName('a/bc'), pinned),
    );
  });

  test('includes the source', () => {
    const other = resolveSourceForTag(
      { kind: 'git', url: 'https://example.org/pkgs.git' },
      COMMIT.replace('0', 'f'),
    );
    const channel = resolveSourceForTag({ kind: 'channel', channel: COMMIT }, 'latest');
    const keys = [pinned, other, channel].map((s) => manifestCacheKey(parseImageName('hello'), s));
    expect(new Set(keys).size).toBe(3);
  });

  test('is null for sources that can move', () => {
    const request = parseImageName('hello');
    expect(manifestCacheKey(request, resolveSourceForTag({ kind: 'git', url: 'x' }, 'latest'))).toBeNull();
    expect(manifestCacheKey(request, resolveSourceForTag({ kind: 'git', url: 'x' }, 'main'))).toBeNull();
    expect(
      manifestCacheKey(request, resolveSourceForTag({ kind: 'channel', channel: 'nixos-unstable' }, 'x')),
    ).toBeNull();
    expect(manifestCacheKey(request, resolveSourceForTag({ kind: 'path', path: '/p' }, 'latest'))).toBeNull();
  });
});

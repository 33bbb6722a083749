import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import {
  BUNDLED_PACKAGE_SET_PATH,
  BUNDLED_POPULARITY_URL,
  hostPlatform,
  parsePlatform,
  platformName,
} from '@nixery/source';
import { describe, expect, test } from 'vitest';
import { type Config, loadConfig } from '../src/index.js';
import { configProblems as problems } from './support/problems.js';

/** The whole Config of `STORAGE_PATH=/var/lib/nixery` and nothing else. */
const DEFAULTS: Config = {
  port: 8080,
  source: { kind: 'path', path: BUNDLED_PACKAGE_SET_PATH },
  bundledSource: true,
  storage: { backend: 'filesystem', path: '/var/lib/nixery' },
  nixTimeoutSeconds: 60,
  unpinnedTtlSeconds: 60,
  popularityUrl: BUNDLED_POPULARITY_URL,
  layerBudget: 94,
  layerStrategy: 'stable',
  gzipLevel: 6,
  nixSubstituters: '',
  nixFleet: { builders: null, trustedPublicKeys: null },
  auth: null,
  gcRootsDir: null,
  evaluationTimeoutSeconds: 300,
  allowUnfree: false,
  evaluationConcurrency: availableParallelism(),
  gc: { retentionMs: 30 * 86_400_000, graceMs: 6 * 3_600_000, intervalMs: null },
  platforms: [hostPlatform() ?? parsePlatform('linux/amd64')],
  nixExtraPlatforms: null,
  maxBuilds: availableParallelism(),
  buildQueue: 32,
  shutdownTimeoutSeconds: 30,
};

describe('loadConfig', () => {
  test('NIXERY_ALLOW_UNFREE and NIXERY_EVAL_CONCURRENCY', () => {
    const config = loadConfig({
      env: {
        STORAGE_PATH: '/s',
        NIXERY_ALLOW_UNFREE: 'true',
        NIXERY_EVAL_CONCURRENCY: '3',
      },
    });
    expect(config.allowUnfree).toBe(true);
    expect(config.evaluationConcurrency).toBe(3);
    expect(loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_ALLOW_UNFREE: '0' } }).allowUnfree).toBe(false);
    expect(
      problems({ STORAGE_PATH: '/s', NIXERY_ALLOW_UNFREE: 'sure', NIXERY_EVAL_CONCURRENCY: '0' }),
    ).toEqual([
      'NIXERY_ALLOW_UNFREE="sure" must be 1, true, yes, 0, false or no',
      'NIXERY_EVAL_CONCURRENCY="0" must be a whole number from 1 to 256',
    ]);
  });

  test('garbage collection durations', () => {
    const config = loadConfig({
      env: {
        STORAGE_PATH: '/s',
        NIXERY_GC_RETENTION: '2w',
        NIXERY_GC_GRACE: '1h30m',
        NIXERY_GC_INTERVAL: '3600',
      },
    });
    expect(config.gc).toEqual({ retentionMs: 14 * 86_400_000, graceMs: 5_400_000, intervalMs: 3_600_000 });
    expect(loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_GC_INTERVAL: '0' } }).gc.intervalMs).toBeNull();
    expect(problems({ STORAGE_PATH: '/s', NIXERY_GC_RETENTION: '30 days', NIXERY_GC_GRACE: '1m' })).toEqual([
      'NIXERY_GC_RETENTION="30 days" must be a duration: seconds, or a number with a unit (ms, s, m, h, d, w), e.g. 30d or 1h30m',
      'NIXERY_GC_GRACE must be at least 360 s (NIX_TIMEOUT + NIXERY_EVAL_TIMEOUT), longer than any build',
    ]);
    expect(problems({ STORAGE_PATH: '/s', NIXERY_GC_RETENTION: '1h' })).toEqual([
      'NIXERY_GC_RETENTION must not be shorter than NIXERY_GC_GRACE',
    ]);
  });

  test('defaults', () => {
    expect(loadConfig({ env: { STORAGE_PATH: '/var/lib/nixery' } })).toEqual<Config>(DEFAULTS);
  });

  test("Nixery's variables", () => {
    const config = loadConfig({
      env: {
        PORT: '9000',
        NIXERY_CHANNEL: 'nixos-unstable',
        NIXERY_STORAGE_BACKEND: 'gcs',
        GCS_BUCKET: 'images',
        GOOGLE_APPLICATION_CREDENTIALS: '/keys/sa.json',
        NIX_TIMEOUT: '120',
        NIX_POPULARITY_URL: 'https://example.org/popularity.json',
        NIXERY_LAYER_BUDGET: '50',
        NIXERY_UNPINNED_TTL: '0',
        NIXERY_GZIP_LEVEL: '1',
      },
    });
    expect(config).toEqual<Config>({
      ...DEFAULTS,
      port: 9000,
      source: { kind: 'channel', channel: 'nixos-unstable' },
      bundledSource: false,
      storage: { backend: 'gcs', bucket: 'images', credentialsFile: '/keys/sa.json' },
      nixTimeoutSeconds: 120,
      unpinnedTtlSeconds: 0,
      popularityUrl: 'https://example.org/popularity.json',
      layerBudget: 50,
      gzipLevel: 1,
      // Not the bundled set's '' (it builds offline): Nix's own substituters.
      nixSubstituters: null,
    });
  });

  test('NIXERY_PLATFORMS lists the platforms served, in order; mistakes are named', () => {
    const env = { STORAGE_PATH: '/var/lib/nixery' };
    const both = loadConfig({ env: { ...env, NIXERY_PLATFORMS: 'linux/arm64, linux/amd64' } });
    expect(both.platforms.map(platformName)).toEqual(['linux/arm64/v8', 'linux/amd64']);
    expect(loadConfig({ env, flags: { platforms: 'linux/amd64,linux/riscv64' } }).platforms).toEqual([
      parsePlatform('linux/amd64'),
      parsePlatform('linux/riscv64'),
    ]);
    expect(() => loadConfig({ env: { ...env, NIXERY_PLATFORMS: 'linux/amd64,linux/sparc' } })).toThrow(
      /NIXERY_PLATFORMS: platform "linux\/sparc" has an unknown architecture/,
    );
    expect(() => loadConfig({ env: { ...env, NIXERY_PLATFORMS: 'linux/amd64,linux/amd64' } })).toThrow(
      /twice/,
    );
  });

  test('NIXERY_NIX_EXTRA_PLATFORMS; the bundled set gets aarch64-linux when it serves linux/arm64', () => {
    const env = { STORAGE_PATH: '/var/lib/nixery' };
    expect(
      loadConfig({ env: { ...env, NIXERY_NIX_EXTRA_PLATFORMS: 'aarch64-linux, riscv64-linux' } })
        .nixExtraPlatforms,
    ).toEqual(['aarch64-linux', 'riscv64-linux']);
    expect(() => loadConfig({ env: { ...env, NIXERY_NIX_EXTRA_PLATFORMS: 'aarch64-linux "; rm' } })).toThrow(
      /must list Nix systems such as aarch64-linux/,
    );
    const multi = { ...env, NIXERY_PLATFORMS: 'linux/amd64,linux/arm64' };
    const bundled = loadConfig({ env: multi }).nixExtraPlatforms;
    if (hostPlatform()?.architecture === 'amd64') expect(bundled).toEqual(['aarch64-linux']);
    else expect(bundled).toBeNull();
    // Another package set builds real aarch64 binaries: only the operator knows it can.
    expect(loadConfig({ env: { ...multi, NIXERY_PKGS_PATH: '/pkgs' } }).nixExtraPlatforms).toBeNull();
    expect(loadConfig({ env }).nixExtraPlatforms).toBeNull();
  });

  test('NIXERY_GCROOTS_DIR names the parent of the GC-root folders, made absolute', () => {
    const env = { STORAGE_PATH: '/var/lib/nixery' };
    expect(loadConfig({ env: { ...env, NIXERY_GCROOTS_DIR: 'var/gcroots' } }).gcRootsDir).toBe(
      resolve('var/gcroots'),
    );
    expect(loadConfig({ env: { ...env, NIXERY_GCROOTS_DIR: ' ' } }).gcRootsDir).toBeNull();
  });

  test('substituters can be set explicitly, also to empty', () => {
    const base = { STORAGE_PATH: '/s', NIXERY_PKGS_PATH: '/p' };
    expect(loadConfig({ env: { ...base, NIXERY_NIX_SUBSTITUTERS: '' } }).nixSubstituters).toBe('');
    expect(
      loadConfig({ env: { ...base, NIXERY_NIX_SUBSTITUTERS: 'https://cache.nixos.org' } }).nixSubstituters,
    ).toBe('https://cache.nixos.org');
  });

  test('every mistake is listed, one message each', () => {
    const list = problems({
      PORT: 'eighty',
      NIXERY_CHANNEL: 'nixos unstable',
      NIXERY_PKGS_REPO: 'https://example.org/x.git',
      NIXERY_STORAGE_BACKEND: 'azure',
      NIX_TIMEOUT: '0',
      NIX_POPULARITY_URL: 'not a url',
      NIXERY_LAYER_BUDGET: '125',
      NIXERY_UNPINNED_TTL: '-1',
      NIXERY_GZIP_LEVEL: '10',
    });
    expect(list).toHaveLength(9);
    expect(list.join('\n')).toMatch(/NIXERY_GZIP_LEVEL="10" must be a whole number from 1 to 9/);
    expect(list.join('\n')).toMatch(/NIXERY_UNPINNED_TTL="-1" must be a whole number from 0 to 86400/);
    expect(list.join('\n')).toMatch(/NIXERY_CHANNEL, NIXERY_PKGS_REPO are set/);
    expect(list.join('\n')).toMatch(/NIXERY_CHANNEL="nixos unstable" is neither a channel name/);
    expect(list.join('\n')).toMatch(/PORT="eighty" must be a whole number from 0 to 65535/);
    expect(list.join('\n')).toMatch(/NIX_TIMEOUT="0" must be a whole number from 1/);
    expect(list.join('\n')).toMatch(/NIXERY_LAYER_BUDGET="125" must be a whole number from 1 to 124/);
    expect(list.join('\n')).toMatch(/NIXERY_STORAGE_BACKEND="azure" must be 'filesystem', 'gcs' or 's3'/);
    expect(list.join('\n')).toMatch(/NIX_POPULARITY_URL="not a url" must be an http\(s\) or file URL/);
  });

  test('storage settings are required for their backend', () => {
    expect(problems({})).toEqual([
      'STORAGE_PATH must be set to a directory when NIXERY_STORAGE_BACKEND is filesystem',
    ]);
    expect(problems({ NIXERY_STORAGE_BACKEND: 'gcs' })).toEqual([
      'GCS_BUCKET must be set when NIXERY_STORAGE_BACKEND is gcs',
    ]);
    expect(problems({ NIXERY_STORAGE_BACKEND: 's3' })).toEqual([
      'S3_BUCKET must be set when NIXERY_STORAGE_BACKEND is s3',
      "AWS_REGION must be set when NIXERY_STORAGE_BACKEND is s3 (any name, e.g. 'us-east-1', for other S3 services)",
    ]);
    expect(
      problems({
        NIXERY_STORAGE_BACKEND: 's3',
        S3_BUCKET: 'b',
        AWS_REGION: 'eu-west-1',
        S3_ENDPOINT: 'minio:9000',
        S3_FORCE_PATH_STYLE: 'yes',
        S3_USE_PRESIGNED_URLS: '0',
      }),
    ).toEqual([
      'S3_ENDPOINT="minio:9000" must be an http(s) URL',
      'S3_FORCE_PATH_STYLE="yes" must be true or false',
      'S3_USE_PRESIGNED_URLS="0" must be true or false',
    ]);
  });

  test('S3 settings: bucket, region, endpoint, path style, presigned URLs on by default', () => {
    const base = { NIXERY_STORAGE_BACKEND: 's3', S3_BUCKET: 'images', AWS_REGION: 'eu-west-1' };
    expect(loadConfig({ env: base }).storage).toEqual({
      backend: 's3',
      bucket: 'images',
      region: 'eu-west-1',
      forcePathStyle: false,
      presignedUrls: true,
    });
    expect(
      loadConfig({
        env: {
          ...base,
          S3_ENDPOINT: 'http://127.0.0.1:9000',
          S3_FORCE_PATH_STYLE: 'true',
          S3_USE_PRESIGNED_URLS: 'false',
        },
      }).storage,
    ).toEqual({
      backend: 's3',
      bucket: 'images',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      presignedUrls: false,
    });
  });

  test('the error message lists the problems', () => {
    try {
      loadConfig({ env: { PORT: '-1', STORAGE_PATH: '/s' } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        'invalid configuration:\n  - PORT="-1" must be a whole number from 0 to 65535',
      );
    }
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePlatform, SOURCE_VARIABLES } from '@nixery/source';
import { describe, expect, test } from 'vitest';
import {
  applyFlags,
  builderOptions,
  ConfigError,
  helpLine,
  loadConfig,
  loadStorageConfig,
  README_TABLE_END,
  README_TABLE_START,
  readmeTable,
  SETTINGS,
  settingList,
  withReadmeTable,
} from '../src/index.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The property name commander gives a long flag's value. */
function commanderKey(flag: string): string {
  const long = flag.split(' ')[0] as string;
  return long.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

describe('the settings table', () => {
  test("each setting's name is the key commander gives its flag", () => {
    for (const [name, spec] of settingList()) {
      if (spec.flag !== undefined) expect(commanderKey(spec.flag)).toBe(name);
    }
  });

  test('variables and flags are unique', () => {
    const specs = settingList().map(([, spec]) => spec);
    const envs = specs.map((spec) => spec.env);
    const flags = specs.flatMap((spec) => (spec.flag === undefined ? [] : [spec.flag.split(' ')[0]]));
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
  });

  test('the source settings are the variables @nixery/source reads', () => {
    const source = settingList()
      .filter(([, spec]) => spec.group === 'source')
      .map(([, spec]) => spec.env);
    expect(source).toEqual([...SOURCE_VARIABLES]);
  });

  test('the defaults of the table are the defaults loadConfig applies', () => {
    const config = loadConfig({ env: { STORAGE_PATH: '/s' } });
    expect(config.port).toBe(SETTINGS.port.default);
    expect(config.nixTimeoutSeconds).toBe(SETTINGS.nixTimeout.default);
    expect(config.evaluationTimeoutSeconds).toBe(SETTINGS.evalTimeout.default);
    expect(config.unpinnedTtlSeconds).toBe(SETTINGS.unpinnedTtl.default);
    expect(config.layerBudget).toBe(SETTINGS.layerBudget.default);
    expect(config.layerStrategy).toBe(SETTINGS.strategy.default);
    expect(config.gzipLevel).toBe(SETTINGS.gzipLevel.default);
  });

  test('help lines name the variable and the default', () => {
    expect(helpLine(SETTINGS.port)).toBe('port to listen on [PORT] (default 8080)');
    expect(helpLine(SETTINGS.allowUnfree)).toBe(
      'let nixpkgs evaluate unfree packages [NIXERY_ALLOW_UNFREE=1]',
    );
    expect(helpLine(SETTINGS.strategy)).toBe(
      "layer grouping strategy [NIXERY_LAYER_STRATEGY] (default stable; 'nixery' is Nixery's grouping)",
    );
  });

  test("the README's configuration table is the one made from the table (pnpm config-table)", () => {
    const text = readFileSync(README, 'utf8');
    const start = text.indexOf(README_TABLE_START) + README_TABLE_START.length;
    const inReadme = text.slice(start, text.indexOf(README_TABLE_END)).trim();
    expect(inReadme).toBe(readmeTable());
    expect(withReadmeTable(text)).toBe(text);
    for (const [, spec] of settingList()) expect(text).toContain(`| \`${spec.env}\` |`);
  });
});

describe('flags', () => {
  test('a flag wins over its variable; a switch flag sets 1', () => {
    const config = loadConfig({
      env: { STORAGE_PATH: '/s', PORT: '1000', NIXERY_GZIP_LEVEL: '2' },
      flags: { port: '2000', allowUnfree: true, layerBudget: undefined },
    });
    expect(config.port).toBe(2000);
    expect(config.gzipLevel).toBe(2);
    expect(config.allowUnfree).toBe(true);
    expect(applyFlags({ NIXERY_ALLOW_UNFREE: '1' }, { allowUnfree: false }).NIXERY_ALLOW_UNFREE).toBe('1');
  });

  test('bad flags are reported with their variable, all at once', () => {
    let problems: string[] = [];
    try {
      loadConfig({ env: { STORAGE_PATH: '/s' }, flags: { gzipLevel: '0', evalTimeout: 'soon' } });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      'NIXERY_GZIP_LEVEL="0" must be a whole number from 1 to 9',
      'NIXERY_EVAL_TIMEOUT="soon" must be a whole number from 1 to 86400',
    ]);
  });
});

describe('builderOptions', () => {
  test('maps every setting the builder takes', () => {
    const config = loadConfig({
      env: {
        STORAGE_PATH: '/s',
        NIXERY_PKGS_PATH: '/pkgs',
        NIX_TIMEOUT: '7',
        NIXERY_EVAL_TIMEOUT: '8',
        NIXERY_EVAL_CONCURRENCY: '2',
        NIXERY_UNPINNED_TTL: '3',
        NIXERY_LAYER_BUDGET: '10',
        NIXERY_LAYER_STRATEGY: 'nixery',
        NIXERY_GZIP_LEVEL: '1',
        NIXERY_NIX_SUBSTITUTERS: '',
        NIXERY_GCROOTS_DIR: '/roots',
        NIXERY_ALLOW_UNFREE: 'yes',
        NIXERY_PLATFORMS: 'linux/amd64,linux/arm64',
        NIXERY_NIX_EXTRA_PLATFORMS: 'aarch64-linux',
      },
    });
    expect(builderOptions(config)).toEqual({
      source: { kind: 'path', path: '/pkgs' },
      nixTimeoutSeconds: 7,
      nixSubstituters: '',
      allowUnfree: true,
      evaluationTimeoutSeconds: 8,
      evaluationConcurrency: 2,
      layerBudget: 10,
      layerStrategy: 'nixery',
      gzipLevel: 1,
      gcRootsDir: '/roots',
      unpinnedTtlMs: 3000,
      platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')],
      nixExtraPlatforms: ['aarch64-linux'],
    });
  });

  test("leaves out what keeps the builder's own default", () => {
    const options = builderOptions(loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_PKGS_PATH: '/pkgs' } }));
    expect(options).not.toHaveProperty('nixSubstituters');
    expect(options).not.toHaveProperty('nixBuilders');
    expect(options).not.toHaveProperty('nixTrustedPublicKeys');
    expect(options).not.toHaveProperty('gcRootsDir');
  });
});

describe('loadStorageConfig', () => {
  test('defaults to ./var/storage for the filesystem backend and reads the others', () => {
    expect(loadStorageConfig({ env: {} })).toEqual({
      backend: 'filesystem',
      path: `${process.cwd()}/var/storage`,
    });
    expect(loadStorageConfig({ env: {}, flags: { storageBackend: 'gcs', gcsBucket: 'b' } })).toEqual({
      backend: 'gcs',
      bucket: 'b',
      credentialsFile: null,
    });
    expect(() => loadStorageConfig({ env: { NIXERY_STORAGE_BACKEND: 's3' } })).toThrow(
      /S3_BUCKET must be set/,
    );
  });
});

// A running registry serving a slice of real nixpkgs (--pkgs-path): pulls of names that fail
// in evaluation (nothing in the slice can be built) answer with the right status and error code,
// and a set that needs a newer Nix stops the server from starting.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PackageSetUnusableError, type RunningRegistry, startRegistry } from '../src/index.js';

const TARBALL =
  process.env.NIXERY_REAL_NIXPKGS_TARBALL ?? '/work/shared/fixtures/nixpkgs-pruned-26.11.tar.gz';

// Evaluations take 1–4 s each on an idle machine, far more when it is busy.
const SLOW = 300_000;
// Names are remembered for the reuse window: an hour here, so a busy machine's slow pulls stay in it.
const REUSE_MS = 3_600_000;

let dir: string;
let nixpkgs: string;
let registry: RunningRegistry;

const settings = (pkgsPath: string) =>
  loadConfig({
    env: {
      NIXERY_PKGS_PATH: pkgsPath,
      NIXERY_NIX_SUBSTITUTERS: '',
      STORAGE_PATH: join(dir, 'storage'),
      PORT: '0',
    },
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixery-registry-real-'));
  execFileSync('tar', ['-xzf', TARBALL, '-C', dir]);
  nixpkgs = join(dir, 'fixture');
  registry = await startRegistry({
    config: settings(nixpkgs),
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    unpinnedTtlMs: REUSE_MS,
  });
}, SLOW);
afterAll(async () => {
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
}, SLOW);

interface RegistryErrorBody {
  errors: {
    code: string;
    message: string;
    detail: { packages?: string[]; problems?: Record<string, unknown>[] };
  }[];
}

async function pull(name: string): Promise<{ status: number; error: RegistryErrorBody['errors'][number] }> {
  const response = await fetch(`${registry.url}/v2/${name}/manifests/latest`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  const body = (await response.json()) as RegistryErrorBody;
  expect(body.errors).toHaveLength(1);
  return { status: response.status, error: body.errors[0] as RegistryErrorBody['errors'][number] };
}

describe('pulls of failing names from real nixpkgs', () => {
  test(
    'a removed alias is a 404 with nixpkgs’ own message',
    async () => {
      const { status, error } = await pull('chatbox');
      expect(status).toBe(404);
      expect(error.code).toBe('MANIFEST_UNKNOWN');
      expect(error.message).toBe(
        'chatbox is not in the package set any more: chatbox was removed for bundling a vastly end-of-life electron version',
      );
    },
    SLOW,
  );

  test(
    'an unfree package is a 403 that says why and how an operator allows it',
    async () => {
      const { status, error } = await pull('vscode');
      expect(status).toBe(403);
      expect(error.code).toBe('DENIED');
      expect(error.message).toMatch(/^vscode is refused \(unfree\): Refusing to evaluate package 'vscode-/);
      expect(error.message).toContain('NIXERY_ALLOW_UNFREE=1 (nixery serve --allow-unfree)');
      expect(error.detail.problems).toEqual([
        expect.objectContaining({ name: 'vscode', problem: 'refused', refusal: 'unfree', attr: 'vscode' }),
      ]);
    },
    SLOW,
  );

  test(
    'mixed with valid names, every failing name is listed; the gravest sets the status',
    async () => {
      const { status, error } = await pull('hello/nodepackages.typescript/1password-cli/nosuch');
      expect(status).toBe(403);
      expect(error.code).toBe('DENIED');
      // Image names list packages sorted (as Nixery), so the problems come in that order.
      expect(error.detail.packages).toEqual(['1password-cli', 'nodepackages.typescript', 'nosuch']);
      expect(error.detail.problems?.map((p) => p.problem)).toEqual(['refused', 'removed', 'unknown']);
      const parts = error.message.split('; ');
      expect(parts[1]).toMatch(
        /^nodepackages\.typescript is not in the package set any more: nodePackages has been removed\. /,
      );
      expect(parts[0]).toMatch(
        /^1password-cli is refused \(unfree\): Refusing to evaluate package '1password-cli-/,
      );
      expect(parts.at(-1)).toBe('unknown package: nosuch');
    },
    SLOW,
  );

  test(
    'an uncatchable evaluation error is a 500 naming the package and Nix’s error',
    async () => {
      const { status, error } = await pull('firefox');
      expect(status).toBe(500);
      expect(error.code).toBe('MANIFEST_UNKNOWN');
      expect(error.message).toMatch(
        /^firefox failed to evaluate: getting status of '.*': No such file or directory$/,
      );
    },
    SLOW,
  );

  test(
    'unknown names stay a 404 MANIFEST_UNKNOWN naming them',
    async () => {
      const { status, error } = await pull('nosuch/norsuch');
      expect(status).toBe(404);
      expect(error).toEqual({
        code: 'MANIFEST_UNKNOWN',
        message: 'unknown packages: norsuch, nosuch',
        detail: { packages: ['norsuch', 'nosuch'] },
      });
    },
    SLOW,
  );
});

const evaluations = async (on: RunningRegistry = registry) =>
  (await on.metrics.evaluations.get()).values[0]?.value ?? 0;

/** A pull that may fail in any way (names of the slice resolve, but nothing in it builds). */
async function pullStatus(name: string, on: RunningRegistry = registry): Promise<number> {
  const response = await fetch(`${on.url}/v2/${name}/manifests/latest`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  await response.arrayBuffer();
  return response.status;
}

describe('cost per pull', () => {
  test(
    'a repeated failing image, or its failing name alone, is answered without evaluating again',
    async () => {
      const first = await pull('hello/chatbox');
      expect(first.status).toBe(404);
      const before = await evaluations();
      expect(before).toBeGreaterThan(0);
      // Within the reuse window (NIXERY_UNPINNED_TTL) hello and chatbox are known: no evaluation at all.
      expect(await pull('hello/chatbox')).toEqual(first);
      expect((await pull('chatbox')).error.message).toBe(first.error.message);
      expect(await evaluations()).toBe(before);
    },
    SLOW,
  );

  test(
    'a repeated unknown name, alone or beside resolved names, runs no evaluation',
    async () => {
      const first = await pull('hello/nosuchthing');
      expect(first).toEqual({
        status: 404,
        error: {
          code: 'MANIFEST_UNKNOWN',
          message: 'unknown package: nosuchthing',
          detail: { packages: ['nosuchthing'] },
        },
      });
      const before = await evaluations();
      expect(await pull('nosuchthing')).toEqual(first);
      expect(await pull('hello/nosuchthing')).toEqual(first);
      expect(await pull('nosuchthing/hello')).toEqual(first);
      expect(await evaluations()).toBe(before);
    },
    SLOW,
  );

  test(
    'a second pull of a resolved image, and images of its names, run no evaluation; new names alone are evaluated',
    async () => {
      // The slice's names resolve to derivations, which cannot be built here (their sources are
      // downloads): each pull fails at the build, after the names were resolved and remembered.
      const before = await evaluations();
      const status = await pullStatus('curl/jq');
      expect(status).toBe(500);
      expect(await evaluations()).toBe(before + 1);
      // The same image again (its failed build was not cached), and images of its names.
      expect(await pullStatus('curl/jq')).toBe(status);
      expect(await pullStatus('jq')).toBe(status);
      expect(await pullStatus('curl')).toBe(status);
      expect(await evaluations()).toBe(before + 1);
      // One new name beside known ones: one evaluation (of that name), and it is known after.
      expect(await pullStatus('curl/jq/sdl2')).toBe(status);
      expect(await evaluations()).toBe(before + 2);
      expect(await pullStatus('sdl2/jq')).toBe(status);
      expect(await evaluations()).toBe(before + 2);
    },
    // Six failing builds (each retries its downloads) besides two evaluations.
    3 * SLOW,
  );
});

describe('evaluations at once', () => {
  test(
    '20 concurrent pulls of distinct images never run more evaluations at once than NIXERY_EVAL_CONCURRENCY',
    async () => {
      const limited = await startRegistry({
        config: loadConfig({
          env: {
            NIXERY_PKGS_PATH: nixpkgs,
            NIXERY_NIX_SUBSTITUTERS: '',
            NIXERY_EVAL_CONCURRENCY: '2',
            STORAGE_PATH: join(dir, 'storage-limited'),
            PORT: '0',
          },
        }),
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
        unpinnedTtlMs: REUSE_MS,
      });
      try {
        // Unknown names: each image costs exactly one evaluation and no build.
        const names = Array.from({ length: 20 }, (_, i) => `absent${i}`);
        const statuses = await Promise.all(names.map((name) => pullStatus(name, limited)));
        expect(statuses).toEqual(names.map(() => 404));
        expect(await evaluations(limited)).toBe(20);
        const gauge = async (metric: 'evaluationsPeak' | 'evaluationsRunning') =>
          (await limited.metrics[metric].get()).values[0]?.value;
        // 20 waiting pulls keep both slots busy: the peak is the limit, never more.
        expect(await gauge('evaluationsPeak')).toBe(2);
        expect(await gauge('evaluationsRunning')).toBe(0);
      } finally {
        await limited.close();
      }
    },
    // Ten rounds of two evaluations: minutes on a busy machine.
    3 * SLOW,
  );
});

describe('the start-up check', () => {
  test(
    'a package set that needs a newer Nix stops the server with one line',
    async () => {
      // The slice's one change, undone in a copy of what the check reads (default.nix, lib/):
      // upstream nixpkgs asks for Nix 2.18.
      const copy = join(dir, 'upstream');
      cpSync(join(nixpkgs, 'lib'), join(copy, 'lib'), { recursive: true });
      cpSync(join(nixpkgs, 'default.nix'), join(copy, 'default.nix'));
      const file = join(copy, 'lib', 'minfeatures.nix');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('compareVersions "2.8"', 'compareVersions "2.18"'),
      );
      const started = startRegistry({
        config: settings(copy),
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
      });
      await expect(started).rejects.toBeInstanceOf(PackageSetUnusableError);
      await expect(started).rejects.toThrow(
        /^the package set needs a Nix with `builtins.nixVersion` reports at least 2\.18, but the installed Nix is 2\.\d+\.\d+ \(put a newer Nix first on PATH; see README "Nix versions"\)$/,
      );
    },
    SLOW,
  );
});

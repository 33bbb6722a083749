import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Digest } from '@nixery/digest';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commitFolder } from '../../../packages/nix/test/support/git-repo.js';
import { BASE_ENV, CLI_MAIN, REPO_ROOT, runCli, temporaryDir } from './support/cli.js';

// `nixery warm` fills a storage; a server started afterwards on that storage, with no Nix on its
// PATH at all, serves the images from it.

const work = temporaryDir('warm');
const storagePath = join(work.path, 'storage');
let repoUrl: string;
let commit: string;
let server: ChildProcess | undefined;

beforeAll(() => {
  // A pinned source: the bundled set as a git repository, images tagged by its commit.
  const repo = join(work.path, 'repo');
  cpSync(BUNDLED_PACKAGE_SET_PATH, repo, { recursive: true });
  commit = commitFolder(repo);
  repoUrl = `file://${repo}`;
});
afterAll(() => {
  server?.kill('SIGTERM');
  work.remove();
});

const settings = () => ['--pkgs-repo', repoUrl, '--storage-path', storagePath, '--substituters', ''];

describe('nixery warm', () => {
  test('builds the images of a file and the arguments, reports each, and exits by the first failure', async () => {
    const list = join(work.path, 'images.txt');
    writeFileSync(list, `# images for the fleet\nhello:${commit}\n\nshell/hello:${commit}  # with a shell\n`);
    const result = await runCli(['warm', '--file', list, `nosuchpackage:${commit}`, ...settings()]);
    expect(result.stdout).toContain('built 2, already cached 0, failed 1');
    expect(result.stdout).toMatch(new RegExp(`built +hello:${commit}`));
    expect(result.stdout).toMatch(new RegExp(`built +shell/hello:${commit}`));
    expect(result.stdout).toMatch(
      new RegExp(`failed +nosuchpackage:${commit}: unknown-packages: .*nosuchpackage`),
    );
    // unknown-packages → 3 in the CLI's table.
    expect(result.code).toBe(3);
    // Not a terminal: plain progress lines, one per change, no escape codes.
    expect(result.stderr).not.toContain('\u001b[');
    expect(result.stderr).toMatch(new RegExp(`\\[\\d/3\\] hello:${commit}: evaluating`));
    expect(result.stderr).toMatch(new RegExp(`hello:${commit}: writing layer \\d+ of \\d+`));
    expect(result.stderr).toMatch(new RegExp(`hello:${commit}: built in`));
    // A pinned source: no note about re-evaluation.
    expect(result.stdout).not.toContain('unpinned');
  });

  test('a second run finds them cached (exit 0), --json reports each', async () => {
    const result = await runCli([
      'warm',
      `hello:${commit}`,
      `shell/hello:${commit}`,
      '--json',
      ...settings(),
    ]);
    expect(result.code).toBe(0);
    const { results } = JSON.parse(result.stdout) as { results: { image: string; result: string }[] };
    expect(results.map((r) => [r.image, r.result])).toEqual([
      ['hello', 'cached'],
      ['shell/hello', 'cached'],
    ]);
  });

  test('a fresh server on that storage, without Nix on its PATH, serves the warmed image', async () => {
    const emptyBin = join(work.path, 'no-nix-bin');
    mkdirSync(emptyBin);
    server = spawn(
      process.execPath,
      [CLI_MAIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...settings()],
      { cwd: REPO_ROOT, env: { ...BASE_ENV, PATH: emptyBin }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /nixery listening on (http:\/\/\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      server?.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });

    const manifest = await fetch(`${url}/v2/shell/hello/manifests/${commit}`, {
      headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    const body = Buffer.from(await manifest.arrayBuffer());
    expect(manifest.headers.get('docker-content-digest')).toBe(sha256Digest(body));
    const parsed = JSON.parse(body.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const { digest } of [parsed.config, ...parsed.layers]) {
      const blob = await fetch(`${url}/v2/shell/hello/blobs/${digest}`);
      expect(blob.status).toBe(200);
      expect(sha256Digest(Buffer.from(await blob.arrayBuffer()))).toBe(digest);
    }

    // Nothing ran Nix (it could not have: it is not on the PATH), the manifest cache answered.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(value('nixery_nix_evaluations_total')).toBe(0);
    expect(value('nixery_builds_total')).toBe(0);
    expect(value('nixery_manifest_cache_total{result="hit"}')).toBe(1);
    const { builds } = (await (await fetch(`${url}/builds`)).json()) as { builds: unknown[] };
    expect(builds).toEqual([]);
  });

  test('no image is a usage error', async () => {
    const result = await runCli(['warm', ...settings()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('name at least one image');
  });
});

// `nixery build --platform`: one platform, or an OCI layout whose tag names an image index. The
// package set is the bundled one with the test marker on its aarch64 packages
// (nix/test/multiarch-set), so the set's own aarch64 outputs stay unbuilt in the shared store.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { type CliResult, REPO_ROOT, runCli, temporaryDir } from './support/cli.js';

const work = temporaryDir('build-platforms');
afterAll(() => work.remove());
const SET = join(REPO_ROOT, 'nix/test/multiarch-set');
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const build = (args: string[]): Promise<CliResult> =>
  runCli([
    'build',
    '--cache-dir',
    join(work.path, 'cache'),
    '--pkgs-path',
    SET,
    '--substituters',
    '',
    '--extra-platforms',
    'aarch64-linux',
    ...args,
  ]);

function skopeoInspect(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync('skopeo', ['inspect', ...args], { encoding: 'utf8' }));
}

describe('nixery build --platform', { timeout: 240_000 }, () => {
  test('--platform linux/arm64 builds the arm64 image only', async () => {
    const layout = join(work.path, 'arm64');
    const result = await build(['hello', '--platform', 'linux/arm64', '--out', `oci:${layout}`, '--json']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'hello', arch: 'arm64' });
    expect(skopeoInspect([`oci:${layout}:latest`])).toMatchObject({ Architecture: 'arm64', Os: 'linux' });
  });

  test('--platform all writes an index; skopeo picks either platform from the layout', async () => {
    const layout = join(work.path, 'all');
    const result = await build(['hello', '--platform', 'all', '--out', `oci:${layout}`, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.images.map((i: { platform: string }) => i.platform)).toEqual([
      'linux/amd64',
      'linux/arm64/v8',
    ]);
    expect(report.omitted).toEqual([]);
    const tagged = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests;
    expect(tagged).toEqual([
      expect.objectContaining({
        mediaType: OCI_INDEX,
        digest: report.manifests.oci.digest,
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
      }),
    ]);
    const raw = skopeoInspect(['--raw', `oci:${layout}:latest`]) as { manifests: { digest: string }[] };
    expect(raw.manifests.map((m) => m.digest)).toEqual(
      report.images.map(
        (i: { image: { manifests: { oci: { digest: string } } } }) => i.image.manifests.oci.digest,
      ),
    );
    for (const arch of ['amd64', 'arm64']) {
      const inspected = skopeoInspect(['--override-arch', arch, `oci:${layout}:latest`]);
      expect(inspected.Architecture).toBe(arch);
    }
  });

  test('a platform Nix cannot build is left out with a warning', async () => {
    const layout = join(work.path, 'riscv');
    const result = await build([
      'hello',
      '--platform',
      'linux/amd64,linux/riscv64',
      '--out',
      `oci:${layout}`,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /warning: linux\/riscv64 left out of the index: this machine cannot build packages for riscv64-linux/,
    );
    expect(JSON.parse(result.stdout).images.map((i: { platform: string }) => i.platform)).toEqual([
      'linux/amd64',
    ]);
  });

  test('usage errors: an unknown platform, --arch with --platform, an index into a docker-archive', async () => {
    const out = `oci:${join(work.path, 'never')}`;
    const unknown = await build(['hello', '--platform', 'linux/s390x', '--out', out]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown architecture/);
    const both = await build(['hello', '--platform', 'linux/arm64', '--arch', 'arm64', '--out', out]);
    expect(both.code).toBe(2);
    const archive = await build([
      'hello',
      '--platform',
      'all',
      '--out',
      `docker-archive:${join(work.path, 'x.tar')}`,
    ]);
    expect(archive.code).toBe(2);
    expect(archive.stderr).toMatch(/docker-archive holds one platform/);
    const arm64Name = await build(['arm64', 'hello', '--platform', 'all', '--out', out]);
    expect(arm64Name.code).toBe(2);
  });
});

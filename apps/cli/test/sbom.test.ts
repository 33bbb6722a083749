import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli, temporaryDir } from './support/cli.js';

const work = temporaryDir('sbom');
const cacheDir = join(work.path, 'cache');
afterAll(() => work.remove());

const build = (args: string[]) => runCli(['build', '--cache-dir', cacheDir, ...args]);
const blob = (layout: string, digest: string) => readFileSync(join(layout, 'blobs/sha256', digest.slice(7)));

describe('nixery build --sbom-referrer / --sbom FILE', () => {
  test('the OCI layout gets the SBOM as a referrer of the image, and FILE the same document', async () => {
    const layout = join(work.path, 'layout');
    const file = join(work.path, 'hello.spdx.json');
    const result = await build([
      'hello',
      '--out',
      `oci:${layout}`,
      '--sbom-referrer',
      '--sbom',
      file,
      '--json',
    ]);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { manifests: { oci: { digest: string; size: number } } };

    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string; mediaType: string; artifactType?: string; annotations?: object }[];
    };
    expect(index.manifests).toHaveLength(2);
    expect(index.manifests[0]?.digest).toBe(report.manifests.oci.digest);
    const entry = index.manifests[1]!;
    expect(entry).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/spdx+json',
    });
    expect(entry.annotations).toBeUndefined(); // a referrer is not a tag

    const artifact = JSON.parse(blob(layout, entry.digest).toString('utf8'));
    expect(artifact.subject).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: report.manifests.oci.digest,
      size: report.manifests.oci.size,
    });
    expect(blob(layout, artifact.config.digest).toString()).toBe('{}');
    const document = blob(layout, artifact.layers[0].digest);
    expect(readFileSync(file).equals(document)).toBe(true);
    const sbom = JSON.parse(document.toString('utf8'));
    expect(sbom.spdxVersion).toBe('SPDX-2.3');
    expect(sbom.packages.map((p: { name: string }) => p.name)).toContain('hello');

    // The image itself still reads as before.
    const inspected = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${layout}:latest`], { encoding: 'utf8' }),
    );
    expect(inspected.Digest).toBe(report.manifests.oci.digest);

    // The artifact manifests and SBOM blobs in the cache are sound to `nixery verify`.
    const verified = await runCli(['verify', '--storage-path', cacheDir, '--json']);
    expect(verified.code).toBe(0);
    const verifyReport = JSON.parse(verified.stdout) as {
      problems: unknown[];
      manifests: { checked: number };
    };
    expect(verifyReport.problems).toEqual([]);
    expect(verifyReport.manifests.checked).toBe(4); // Docker and OCI image manifests, and their SBOM artifacts

    // Again: the referrer entry is replaced, not repeated.
    expect((await build(['hello', '--out', `oci:${layout}`, '--sbom-referrer', '-q'])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests).toEqual(index.manifests);
  });

  test('--sbom FILE beside a docker-archive; --sbom-referrer there is a usage error (2)', async () => {
    const file = join(work.path, 'archive.spdx.json');
    const ok = await build([
      'hello',
      '--out',
      `docker-archive:${join(work.path, 'hello.tar')}`,
      '--sbom',
      file,
      '-q',
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).spdxVersion).toBe('SPDX-2.3');

    const refused = await build([
      'hello',
      '--out',
      `docker-archive:${join(work.path, 'x.tar')}`,
      '--sbom-referrer',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--sbom-referrer needs an OCI layout/);
    expect(existsSync(join(work.path, 'x.tar'))).toBe(false);
  });
});

// Referrers lists (`referrers/sha256/<hex>`, the OCI referrers API's answer) are checked against
// the artifact manifests they list: each must be stored, sound, of the listed size, and name the
// list's subject as its own. Real Nix: an image of the bundled set, with its SBOM referrers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageRecord } from '@nixery/builder';
import { FilesystemStorage, manifestObjectKey, referrersObjectKey } from '@nixery/storage';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { formatReport, verifyStorage } from '../src/index.js';
import { buildImage } from './support/image.js';

let root: string;
let storage: FilesystemStorage;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'verify-referrers-'));
  storage = new FilesystemStorage(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The image's Docker and OCI manifest digests with the one SBOM artifact listed under each. */
function referrersOf(record: ImageRecord): { subject: string; artifact: string }[] {
  return [record.manifests.docker.digest, record.manifests.oci.digest].map((subject) => {
    const listed = record.referrers?.[subject];
    if (listed?.length !== 1) throw new Error(`expected one referrer of ${subject}`);
    return { subject, artifact: listed[0]!.digest };
  });
}

describe('referrers lists', { timeout: 120_000 }, () => {
  test('a built image has a list per manifest, and they verify clean', async () => {
    await buildImage(storage, 'hello');
    const report = await verifyStorage(storage);
    expect(report.problems).toEqual([]);
    expect(report.referrers.checked).toBe(2);
    expect(formatReport(report)).toContain('referrer lists checked: 2\n');
  });

  test('a list naming a missing manifest, or one of another subject, is dangling; repair removes it', async () => {
    const { record } = await buildImage(storage, 'hello');
    const [docker, oci] = referrersOf(record);
    if (!docker || !oci) throw new Error('no referrers');
    // The Docker manifest's SBOM artifact goes; the OCI manifest's list is swapped for the Docker one's.
    await storage.deleteObject(manifestObjectKey(docker.artifact));
    const dockerList = await storage.getObject(referrersObjectKey(docker.subject));
    await storage.putObject(referrersObjectKey(oci.subject), dockerList!.body, 'application/json');

    const report = await verifyStorage(storage);
    // Reported in key order, whatever order the folder lists in.
    const dangling = [docker, oci].map(({ subject }) => ({
      kind: 'referrers-dangling',
      key: referrersObjectKey(subject),
      subject,
      missing: [`manifest ${docker.artifact} (missing)`],
    }));
    expect(report.problems).toEqual(dangling.sort((a, b) => (a.key < b.key ? -1 : 1)));

    // Put the artifact back: the OCI list still names the Docker manifest's referrer.
    await buildImage(storage, 'hello');
    await storage.putObject(referrersObjectKey(oci.subject), dockerList!.body, 'application/json');
    const swapped = await verifyStorage(storage, { repair: true });
    expect(swapped.problems).toEqual([
      {
        kind: 'referrers-dangling',
        key: referrersObjectKey(oci.subject),
        subject: oci.subject,
        missing: [`manifest ${docker.artifact} (its subject is ${docker.subject})`],
      },
    ]);
    expect(formatReport(swapped)).toContain(`referrers list of ${oci.subject} names manifests`);
    expect(await storage.getObject(referrersObjectKey(oci.subject))).toBeNull();
    expect(await storage.getObject(referrersObjectKey(docker.subject))).not.toBeNull();
    expect((await verifyStorage(storage)).problems).toEqual([]);
  });

  test('a list that is not a list of descriptors is invalid', async () => {
    const { record } = await buildImage(storage, 'hello');
    const subject = record.manifests.oci.digest;
    await storage.putObject(referrersObjectKey(subject), Buffer.from('{"not":"a list"}'), 'application/json');
    const report = await verifyStorage(storage);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'referrers-invalid', key: referrersObjectKey(subject), subject }),
    ]);
  });
});

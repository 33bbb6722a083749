// Hand-made images in the registry's layout (blobs, Docker + OCI manifests sharing a config, an
// SBOM artifact manifest per image manifest, referrer lists, an optional image record), so the
// collector's rules can be tested on exact contents and times.
import { Readable } from 'node:stream';
import { sha256Digest } from '@nixery/digest';
import {
  layerCacheObjectKey,
  manifestCacheObjectKey,
  manifestObjectKey,
  referrersObjectKey,
  type Storage,
} from '@nixery/storage';

export interface FakeImage {
  docker: string;
  oci: string;
  artifacts: string[];
  config: string;
  layers: string[];
  sbom: string;
  recordKey: string | null;
  /** Every blob the image references. */
  blobs: string[];
  /** Every object key the image owns (manifests, referrers, record). */
  objects: string[];
}

export async function putBlob(storage: Storage, text: string): Promise<string> {
  return (await storage.putBlob(Readable.from([Buffer.from(text)]))).digest;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const EMPTY = '{}';

/** Writes an image whose layers have these contents; layer-cache entries are keyed by content. */
export async function putImage(
  storage: Storage,
  name: string,
  layerTexts: string[],
  options: { record?: boolean } = {},
): Promise<FakeImage> {
  const layers: string[] = [];
  for (const text of layerTexts) {
    const digest = await putBlob(storage, text);
    layers.push(digest);
    await storage.putObject(
      layerCacheObjectKey(sha256Digest(text).slice(7)),
      json({ digest, diffId: digest, size: text.length, mediaType: 'application/x-layer' }),
      'application/json',
    );
  }
  const configText = JSON.stringify({ name, layers });
  const config = await putBlob(storage, configText);
  const descriptors = layerTexts.map((text, i) => ({ digest: layers[i], size: text.length, mediaType: 'l' }));
  const manifest = (mediaType: string) =>
    json({
      mediaType,
      config: { digest: config, size: configText.length, mediaType: 'c' },
      layers: descriptors,
    });
  const dockerBytes = manifest('application/vnd.docker.distribution.manifest.v2+json');
  const ociBytes = manifest('application/vnd.oci.image.manifest.v1+json');
  const docker = sha256Digest(dockerBytes);
  const oci = sha256Digest(ociBytes);
  await storage.putObject(manifestObjectKey(docker), dockerBytes, 'd');
  await storage.putObject(manifestObjectKey(oci), ociBytes, 'o');

  const sbomText = `sbom of ${name}`;
  const sbom = await putBlob(storage, sbomText);
  const empty = await putBlob(storage, EMPTY);
  const artifacts: string[] = [];
  const referrers: Record<string, unknown[]> = {};
  for (const subject of [docker, oci]) {
    const bytes = json({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/spdx+json',
      config: { digest: empty, size: 2, mediaType: 'application/vnd.oci.empty.v1+json' },
      layers: [{ digest: sbom, size: sbomText.length, mediaType: 'application/spdx+json' }],
      subject: { digest: subject, size: 1, mediaType: 'x' },
    });
    const digest = sha256Digest(bytes);
    artifacts.push(digest);
    await storage.putObject(manifestObjectKey(digest), bytes, 'a');
    const list = [{ mediaType: 'a', digest, size: bytes.length, artifactType: 'application/spdx+json' }];
    referrers[subject] = list;
    await storage.putObject(referrersObjectKey(subject), json(list), 'application/json');
  }
  let recordKey: string | null = null;
  if (options.record) {
    recordKey = manifestCacheObjectKey(sha256Digest(`record ${name}`).slice(7));
    await storage.putObject(
      recordKey,
      json({
        name,
        arch: 'amd64',
        packages: [name],
        manifests: {
          docker: { digest: docker, size: 1, mediaType: 'd' },
          oci: { digest: oci, size: 1, mediaType: 'o' },
        },
        config: { digest: config, size: configText.length },
        layers: layers.map((digest, i) => ({
          digest,
          diffId: digest,
          size: layerTexts[i]?.length,
          key: 'k',
          pathCount: 1,
        })),
        referrers,
      }),
      'application/json',
    );
  }
  const manifestKeys = [docker, oci, ...artifacts].map(manifestObjectKey);
  return {
    docker,
    oci,
    artifacts,
    config,
    layers,
    sbom,
    recordKey,
    blobs: [...layers, config, sbom, empty],
    objects: [
      ...manifestKeys,
      referrersObjectKey(docker),
      referrersObjectKey(oci),
      ...(recordKey ? [recordKey] : []),
    ],
  };
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { sha256Digest } from '@nixery/digest';
import type { ReferrerDescriptor } from '@nixery/sbom';
import { pino } from 'pino';
import { createRegistryHandler, type RegistryAppDeps } from '../../src/app.js';
import { RegistryMetrics } from '../../src/metrics.js';
import { RecentErrors } from '../../src/recent-errors.js';
import type { BlobStore, ImageManifests, ImageService } from '../../src/services.js';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * Manifests and referrers (by subject digest) in memory; `getImage` answers every name with the
 * same two, unless `fail` says otherwise.
 */
export class FakeImages implements ImageService {
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly referrers = new Map<string, ReferrerDescriptor[]>();
  readonly image: ImageManifests;
  /** Thrown by getImage when set. */
  fail: unknown = null;
  readonly calls: Array<{ name: string; tag: string }> = [];
  /** Images forgotten (forgetImage), as `name:tag`. */
  readonly forgotten: string[] = [];
  /** Called by forgetImage: what a rebuild would put back. */
  onForget: (() => void) | null = null;
  /** What getImageIndex answers (null: a single-platform instance). */
  index: ImageManifests | null = null;
  readonly indexCalls: Array<{ name: string; tag: string }> = [];

  constructor() {
    const docker = this.add(DOCKER_MANIFEST, '{"schemaVersion":2,"docker":true}');
    const oci = this.add(OCI_MANIFEST, '{"schemaVersion":2,"oci":true}');
    this.image = { manifests: { docker: { digest: docker }, oci: { digest: oci } } };
  }

  add(mediaType: string, text: string): string {
    const bytes = Buffer.from(text);
    const digest = sha256Digest(bytes);
    this.manifests.set(digest, { bytes, mediaType });
    return digest;
  }

  async getImage(name: string, tag: string): Promise<ImageManifests> {
    this.calls.push({ name, tag });
    if (this.fail) throw this.fail;
    return this.image;
  }

  async forgetImage(name: string, tag: string): Promise<void> {
    this.forgotten.push(`${name}:${tag}`);
    this.onForget?.();
  }

  async getImageIndex(name: string, tag: string): Promise<ImageManifests | null> {
    this.indexCalls.push({ name, tag });
    if (this.fail) throw this.fail;
    return this.index;
  }

  async getManifest(digest: string) {
    return this.manifests.get(digest) ?? null;
  }

  async getReferrers(digest: string) {
    return this.referrers.get(digest) ?? [];
  }
}

/** Blobs in memory; `redirectTo` makes every known blob a redirect, `fail` makes stat throw. */
export class FakeBlobs implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  redirectTo: string | null = null;
  fail: unknown = null;

  add(text: string): string {
    const bytes = Buffer.from(text);
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  async statBlob(digest: string) {
    if (this.fail) throw this.fail;
    const bytes = this.blobs.get(digest);
    return bytes ? { size: bytes.length } : null;
  }

  async sendBlob(digest: string, destination: Writable, options: { range: { start: number; end: number } }) {
    const bytes = this.blobs.get(digest) ?? Buffer.alloc(0);
    destination.end(bytes.subarray(options.range.start, options.range.end + 1));
  }

  async blobRedirect(digest: string) {
    return this.redirectTo ? `${this.redirectTo}/${digest}` : null;
  }
}

/** The registry app over fakes, listening on an ephemeral port. */
export async function startFakeRegistry(extra: Partial<RegistryAppDeps> = {}): Promise<{
  images: FakeImages;
  blobs: FakeBlobs;
  url: (path: string) => string;
  /** Digests of the manifests the app reported served, in order. */
  served: string[];
  close: () => Promise<void>;
}> {
  const images = new FakeImages();
  const served: string[] = [];
  const blobs = new FakeBlobs();
  const handler = createRegistryHandler({
    images,
    blobs,
    metrics: new RegistryMetrics(),
    logger: pino({ level: 'silent' }),
    recentErrors: new RecentErrors(),
    sourceDescription: 'fake',
    storageDescription: 'fake',
    version: 'test',
    onManifestServed: (digest) => served.push(digest),
    ...extra,
  });
  const server = createServer(handler).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    images,
    blobs,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    served,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

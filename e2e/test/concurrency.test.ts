import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json';

describe('concurrent pulls and shared storage', () => {
  let first: TestRegistry;
  let second: TestRegistry | undefined;
  beforeAll(async () => {
    first = await startTestRegistry();
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  test('20 concurrent pulls of one uncached image trigger exactly one Nix build', async () => {
    const image = '/v2/git/jq/curl/manifests/latest';
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${first.url}${image}`, { headers: { accept: ACCEPT } })),
    );
    const digests = new Set<string | null>();
    for (const response of responses) {
      expect(response.status).toBe(200);
      digests.add(response.headers.get('docker-content-digest'));
      await response.arrayBuffer();
    }
    expect(digests.size).toBe(1);
    expect(await metricValue(first, 'nixery_builds_total', { result: 'success' })).toBe(1);
  });

  test('a client that disconnects does not cancel the build another client waits for', async () => {
    const image = '/v2/jq/ripgrep/manifests/latest';
    const quitter = new AbortController();
    const abandoned = fetch(`${first.url}${image}`, { headers: { accept: ACCEPT }, signal: quitter.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const patient = fetch(`${first.url}${image}`, { headers: { accept: ACCEPT } });
    quitter.abort();
    await expect(abandoned).rejects.toThrow();
    const response = await patient;
    expect(response.status).toBe(200);
    expect(await metricValue(first, 'nixery_builds_total', { result: 'success' })).toBe(2);
  });

  test("a second instance on the same storage serves the first one's layers without rewriting them", async () => {
    const image = '/v2/shell/hello/manifests/latest';
    const original = await fetch(`${first.url}${image}`, { headers: { accept: ACCEPT } });
    expect(original.status).toBe(200);
    const manifest = (await original.json()) as { layers: { digest: string }[] };

    second = await startTestRegistry({ storagePath: first.storagePath });
    // By digest: answered from the shared storage, no build at all.
    const byDigest = await fetch(
      `${second.url}/v2/shell/hello/manifests/${original.headers.get('docker-content-digest')}`,
    );
    expect(byDigest.status).toBe(200);
    for (const layer of manifest.layers as { digest: string }[]) {
      const blob = await fetch(`${second.url}/v2/shell/hello/blobs/${layer.digest}`, { method: 'HEAD' });
      expect(blob.status).toBe(200);
    }
    expect(await metricValue(second, 'nixery_builds_total')).toBe(0);

    // By tag: the bundled set is an unpinned source, so Nix is asked again, but every layer is
    // found in the shared layer cache and none is written.
    const byTag = await fetch(`${second.url}${image}`, { headers: { accept: ACCEPT } });
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get('docker-content-digest')).toBe(original.headers.get('docker-content-digest'));
    expect(await metricValue(second, 'nixery_layer_cache_total', { result: 'miss' })).toBe(0);
  });
});

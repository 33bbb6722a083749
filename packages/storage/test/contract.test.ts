// One behavioural suite over every driver (filesystem, GCS on its emulator, S3 on s3rver), so they
// cannot drift apart.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidArgumentError,
  InvalidDigestError,
  InvalidKeyError,
} from '../src/index.js';
import { type BackendHarness, filesystemHarness, gcsHarness, s3Harness } from './support/backends.js';
import {
  CollectingWritable,
  chunked,
  failingAfter,
  patternBytes,
  readAll,
  sha256Digest,
} from './support/streams.js';

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe.each([filesystemHarness(), gcsHarness(), s3Harness()])(
  '$name storage',
  (harness: BackendHarness) => {
    beforeAll(() => harness.setup());
    afterAll(() => harness.teardown());

    test('putBlob stores a streamed blob under its sha256 and reports its size', async () => {
      const { storage } = await harness.create();
      const bytes = patternBytes(3 * 1024 * 1024 + 17);
      const result = await storage.putBlob(chunked(bytes), { contentType: 'application/octet-stream' });

      expect(result).toEqual({ digest: sha256Digest(bytes), size: bytes.length });
      expect((await storage.statBlob(result.digest))?.size).toBe(bytes.length);
      expect(sha256Digest(await readAll(await storage.readBlob(result.digest)))).toBe(result.digest);
    });

    test('putBlob stores bytes handed over whole as a stream of them would be', async () => {
      const backend = await harness.create();
      const { storage } = backend;
      const bytes = patternBytes(200 * 1024 + 3);
      const result = await storage.putBlob(bytes, { contentType: 'application/vnd.test.small' });
      expect(result).toEqual({ digest: sha256Digest(bytes), size: bytes.length });
      expect((await readAll(await storage.readBlob(result.digest))).equals(bytes)).toBe(true);
      expect(await storage.putBlob(Readable.from([bytes]))).toEqual(result);
      expect(await backend.stagingNames()).toEqual([]);
      // A promise it does not keep stores nothing.
      const wrong = sha256Digest(Buffer.from('something else'));
      await expect(storage.putBlob(bytes, { expectedDigest: wrong })).rejects.toBeInstanceOf(
        DigestMismatchError,
      );
      expect(await storage.statBlob(wrong)).toBeNull();
      expect(await backend.stagingNames()).toEqual([]);
    });

    test('an empty blob is a blob too', async () => {
      const { storage } = await harness.create();
      const result = await storage.putBlob(Readable.from([]));
      expect(result).toEqual({ digest: EMPTY_DIGEST, size: 0 });
      expect((await storage.statBlob(EMPTY_DIGEST))?.size).toBe(0);
      expect((await readAll(await storage.readBlob(EMPTY_DIGEST))).length).toBe(0);
    });

    test('ranged reads return exactly the inclusive byte range', async () => {
      const { storage } = await harness.create();
      const bytes = patternBytes(200_000, 7);
      const { digest } = await storage.putBlob(chunked(bytes));

      for (const [start, end] of [
        [0, 0],
        [500, 1499],
        [199_999, 199_999],
        [0, 199_999],
        [65_530, 140_000],
      ] as const) {
        const slice = await readAll(await storage.readBlob(digest, { start, end }));
        expect(slice.equals(bytes.subarray(start, end + 1)), `range ${start}-${end}`).toBe(true);
      }
      await expect(storage.readBlob(digest, { start: 10, end: 9 })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(storage.readBlob(digest, { start: -1, end: 9 })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    });

    test('sendBlob writes the whole blob or a range, ends the destination and counts the bytes', async () => {
      const { storage } = await harness.create();
      const bytes = patternBytes(3 * 1024 * 1024 + 5, 3);
      const { digest } = await storage.putBlob(chunked(bytes));
      for (const range of [undefined, { start: 0, end: 0 }, { start: 70_000, end: 2_500_000 }]) {
        const destination = new CollectingWritable();
        let counted = 0;
        await storage.sendBlob(digest, destination, {
          ...(range ? { range } : {}),
          onChunk: (n) => {
            counted += n;
          },
        });
        const expected = range ? bytes.subarray(range.start, range.end + 1) : bytes;
        expect(destination.bytes().equals(expected), JSON.stringify(range)).toBe(true);
        expect(destination.writableFinished).toBe(true);
        expect(counted).toBe(expected.length);
      }
      // A range past the end stops at the end, as readBlob does.
      const tail = new CollectingWritable();
      await storage.sendBlob(digest, tail, { range: { start: bytes.length - 3, end: bytes.length + 100 } });
      expect(tail.bytes().equals(bytes.subarray(bytes.length - 3))).toBe(true);
      const empty = new CollectingWritable();
      await storage.putBlob(Readable.from([]));
      await storage.sendBlob(EMPTY_DIGEST, empty);
      expect(empty.bytes().length).toBe(0);
      expect(empty.writableFinished).toBe(true);
    });

    test('many concurrent sendBlobs of different blobs each get exactly their bytes', async () => {
      const { storage } = await harness.create();
      const blobs = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (seed) => {
          const bytes = patternBytes(seed * 400_000 + seed, seed);
          return { bytes, digest: (await storage.putBlob(chunked(bytes))).digest };
        }),
      );
      // 60 sends at once, through destinations that are slow to take each chunk: buffers are
      // reused between and within sends, so any reuse too early would corrupt some output.
      const sends = Array.from({ length: 60 }, async (_, i) => {
        const blob = blobs[i % blobs.length] as (typeof blobs)[number];
        const destination = new CollectingWritable(i % 3);
        await storage.sendBlob(blob.digest, destination);
        return sha256Digest(destination.bytes()) === blob.digest;
      });
      expect(await Promise.all(sends)).toEqual(Array(60).fill(true));
    });

    test('a destination that closes early makes sendBlob reject and leaves the blob intact', async () => {
      const { storage } = await harness.create();
      const bytes = patternBytes(4 * 1024 * 1024, 9);
      const { digest } = await storage.putBlob(chunked(bytes));
      const destination = new CollectingWritable();
      destination.once('chunk', () => destination.destroy());
      await expect(storage.sendBlob(digest, destination)).rejects.toThrow();
      expect(destination.destroyed).toBe(true);
      expect(sha256Digest(await readAll(await storage.readBlob(digest)))).toBe(digest);
      // And the next send is unaffected.
      const next = new CollectingWritable();
      await storage.sendBlob(digest, next);
      expect(next.bytes().equals(bytes)).toBe(true);
    });

    test('missing blobs and objects: stat and get give null, read throws BlobNotFoundError', async () => {
      const { storage } = await harness.create();
      const absent = sha256Digest(Buffer.from('never stored'));
      expect(await storage.statBlob(absent)).toBeNull();
      await expect(storage.readBlob(absent)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(storage.readBlob(absent, { start: 0, end: 3 })).rejects.toBeInstanceOf(BlobNotFoundError);
      const untouched = new CollectingWritable();
      await expect(storage.sendBlob(absent, untouched)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(untouched.writableEnded || untouched.destroyed).toBe(false);
      expect(await storage.getObject('manifests/absent.json')).toBeNull();
      await expect(storage.deleteBlob(absent)).resolves.toBeUndefined();
    });

    test('a matching expectedDigest is accepted', async () => {
      const { storage } = await harness.create();
      const bytes = Buffer.from('layer bytes');
      const result = await storage.putBlob(chunked(bytes), { expectedDigest: sha256Digest(bytes) });
      expect(result.digest).toBe(sha256Digest(bytes));
    });

    test('a digest mismatch stores nothing and leaves no staging object', async () => {
      const backend = await harness.create();
      const { storage } = backend;
      const bytes = Buffer.from('what was actually sent');
      const promised = sha256Digest(Buffer.from('what was promised'));

      const failure = await storage.putBlob(chunked(bytes), { expectedDigest: promised }).catch((e) => e);
      expect(failure).toBeInstanceOf(DigestMismatchError);
      expect(failure).toMatchObject({ expected: promised, actual: sha256Digest(bytes), size: bytes.length });
      expect(await storage.statBlob(promised)).toBeNull();
      expect(await storage.statBlob(sha256Digest(bytes))).toBeNull();
      expect(await backend.stagingNames()).toEqual([]);
    });

    test('a source stream that fails mid-way stores nothing and leaves no staging object', async () => {
      const backend = await harness.create();
      const good = patternBytes(256 * 1024, 3);
      const upload = backend.storage.putBlob(failingAfter(good, new Error('nix-build died')));

      await expect(upload).rejects.toThrow('nix-build died');
      expect(await backend.storage.statBlob(sha256Digest(good))).toBeNull();
      expect(await collect(backend.storage.listBlobs())).toEqual([]);
      expect(await backend.stagingNames()).toEqual([]);
    });

    test('storing the same bytes twice, even concurrently, keeps one blob', async () => {
      const backend = await harness.create();
      const bytes = patternBytes(512 * 1024, 9);
      const results = await Promise.all([1, 2, 3].map(() => backend.storage.putBlob(chunked(bytes))));
      const again = await backend.storage.putBlob(chunked(bytes));

      for (const result of [...results, again])
        expect(result).toEqual({ digest: sha256Digest(bytes), size: bytes.length });
      expect(await collect(backend.storage.listBlobs())).toEqual([sha256Digest(bytes)]);
      expect(await backend.stagingNames()).toEqual([]);
      expect((await readAll(await backend.storage.readBlob(sha256Digest(bytes)))).equals(bytes)).toBe(true);
    });

    test('listBlobs lists what is stored; deleteBlob removes it', async () => {
      const { storage } = await harness.create();
      const digests = [];
      for (const text of ['one', 'two', 'three'])
        digests.push((await storage.putBlob(chunked(Buffer.from(text)))).digest);
      await storage.putObject('layers/not-a-blob.json', Buffer.from('{}'), 'application/json');

      expect((await collect(storage.listBlobs())).sort()).toEqual([...digests].sort());
      await storage.deleteBlob(digests[0]!);
      expect(await storage.statBlob(digests[0]!)).toBeNull();
      expect((await collect(storage.listBlobs())).sort()).toEqual(digests.slice(1).sort());
    });

    test('listings give names, sizes and times of blobs, objects and staging uploads, each apart', async () => {
      const backend = await harness.create();
      const { storage } = backend;
      const startedAt = Date.now() - 60_000; // generous: the emulator's clock is the host's
      const bytes = patternBytes(70_000, 5);
      const { digest } = await storage.putBlob(chunked(bytes));
      await storage.putObject('layers/a.json', Buffer.from('{"a":1}'), 'application/json');
      await storage.putObject(`manifests/sha256/${'b'.repeat(64)}`, Buffer.from('{}'), 'application/json');
      await backend.plantStagingLeftover('crashed-upload', Buffer.from('partial'));

      const blobs = await collect(storage.listBlobInfo());
      expect(blobs.map(({ digest, size }) => ({ digest, size }))).toEqual([{ digest, size: bytes.length }]);
      expect(blobs[0]?.modified.getTime()).toBeGreaterThan(startedAt);

      const layers = await collect(storage.listObjects('layers/'));
      expect(layers.map((o) => o.key)).toEqual(['layers/a.json']);
      // At least the body; the filesystem adds its content-type line.
      expect(layers[0]?.size).toBeGreaterThanOrEqual('{"a":1}'.length);
      expect(layers[0]?.modified.getTime()).toBeGreaterThan(startedAt);
      const everything = (await collect(storage.listObjects(''))).map((o) => o.key).sort();
      expect(everything).toEqual([`manifests/sha256/${'b'.repeat(64)}`, 'layers/a.json'].sort());
      expect(await collect(storage.listObjects('manifests/sha256/'))).toHaveLength(1);
      expect(await collect(storage.listObjects('nothing-here/'))).toEqual([]);

      const staging = await collect(storage.listStaging());
      expect(staging.map(({ name, size }) => ({ name, size }))).toEqual([
        { name: 'crashed-upload', size: 7 },
      ]);
      for (const prefix of ['../', 'Layers/', 'a//']) {
        await expect(collect(storage.listObjects(prefix)), prefix).rejects.toBeInstanceOf(InvalidKeyError);
      }
    });

    test('objects round-trip with their content type and can be replaced', async () => {
      const { storage } = await harness.create();
      const key = 'manifests/0123abcd.json';
      await storage.putObject(key, Buffer.from('{"v":1}'), 'application/json');
      expect(await storage.getObject(key)).toEqual({
        body: Buffer.from('{"v":1}'),
        contentType: 'application/json',
      });

      const manifestType = 'application/vnd.oci.image.manifest.v1+json';
      await storage.putObject(key, Buffer.from('{"v":2}\n'), manifestType);
      expect(await storage.getObject(key)).toEqual({
        body: Buffer.from('{"v":2}\n'),
        contentType: manifestType,
      });
      expect(await storage.getObject('manifests')).toBeNull();
    });

    test('deleteObject removes an object; deleting a missing one is fine', async () => {
      const { storage } = await harness.create();
      await storage.putObject('layers/gone.json', Buffer.from('{}'), 'application/json');
      await storage.putObject('layers/kept.json', Buffer.from('{}'), 'application/json');
      await storage.deleteObject('layers/gone.json');
      await storage.deleteObject('layers/gone.json');
      await storage.deleteObject('layers');
      expect(await storage.getObject('layers/gone.json')).toBeNull();
      expect(await storage.getObject('layers/kept.json')).not.toBeNull();
      await expect(storage.deleteObject('../layers/kept.json')).rejects.toBeInstanceOf(InvalidKeyError);
    });

    test('object keys outside the grammar are refused before touching storage', async () => {
      const { storage } = await harness.create();
      const badKeys = [
        '',
        '../escape.json',
        'layers/../../escape.json',
        'layers/./x.json',
        '..',
        '/etc/passwd',
        'layers//x.json',
        'layers/x.json/',
        'layers\\x.json',
        'layers/x\0.json',
        'Layers/x.json',
        'layers/x y.json',
        'blobs/sha256/abc',
        'staging/abc',
        `layers/${'a'.repeat(1100)}`,
      ];
      for (const key of badKeys) {
        await expect(storage.putObject(key, Buffer.from('x'), 'text/plain'), key).rejects.toBeInstanceOf(
          InvalidKeyError,
        );
        await expect(storage.getObject(key), key).rejects.toBeInstanceOf(InvalidKeyError);
      }
      await expect(
        storage.putObject('layers/x.json', Buffer.from('x'), 'text/plain\nX: y'),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    test('malformed digests are refused by every blob method', async () => {
      const { storage } = await harness.create();
      const hex = 'a'.repeat(64);
      const badDigests = [
        `sha256:${hex.toUpperCase()}`,
        `sha512:${hex}`,
        `sha256:${hex}0`,
        `sha256:../${hex}`,
        hex,
        '',
      ];
      for (const digest of badDigests) {
        await expect(storage.statBlob(digest), digest).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(storage.readBlob(digest), digest).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(storage.sendBlob(digest, new CollectingWritable()), digest).rejects.toBeInstanceOf(
          InvalidDigestError,
        );
        await expect(storage.deleteBlob(digest), digest).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(storage.blobRedirect(digest), digest).rejects.toBeInstanceOf(InvalidDigestError);
        await expect(
          storage.putBlob(chunked(Buffer.from('x')), { expectedDigest: digest }),
          digest,
        ).rejects.toBeInstanceOf(InvalidDigestError);
      }
    });

    test('cleanStaging removes only leftovers older than the threshold', async () => {
      const backend = await harness.create();
      await backend.plantStagingLeftover('crashed-upload', Buffer.from('partial'));
      await new Promise((resolve) => setTimeout(resolve, 20));

      expect(await backend.storage.cleanStaging(60 * 60 * 1000)).toBe(0);
      expect(await backend.stagingNames()).toEqual(['crashed-upload']);
      expect(await backend.storage.cleanStaging(5)).toBe(1);
      expect(await backend.stagingNames()).toEqual([]);
    });

    test('stagingSummary reports count, bytes and the age of the oldest leftover; cleanStaging empties it', async () => {
      const backend = await harness.create();
      expect(await backend.storage.stagingSummary()).toEqual({ count: 0, bytes: 0, oldestAgeMs: null });
      // A finished upload leaves nothing to report.
      await backend.storage.putBlob(chunked(patternBytes(100_000)));
      expect((await backend.storage.stagingSummary()).count).toBe(0);

      const planted = Date.now();
      await backend.plantStagingLeftover('crashed-a', patternBytes(70_000, 1));
      await backend.plantStagingLeftover('crashed-b', Buffer.from('partial'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const summary = await backend.storage.stagingSummary();
      expect(summary.count).toBe(2);
      expect(summary.bytes).toBe(70_000 + 'partial'.length);
      // Both were written before the 50 ms pause (GCS stamps them with the emulator's clock, this machine's).
      expect(summary.oldestAgeMs).toBeGreaterThanOrEqual(40);
      expect(summary.oldestAgeMs).toBeLessThanOrEqual(Date.now() - planted + 1000);

      expect(await backend.storage.cleanStaging(0)).toBe(2);
      expect(await backend.storage.stagingSummary()).toEqual({ count: 0, bytes: 0, oldestAgeMs: null });
    });

    test('without signing credentials blobRedirect gives null (the registry streams)', async () => {
      const { storage } = await harness.create();
      const { digest } = await storage.putBlob(chunked(Buffer.from('redirect me')));
      expect(await storage.blobRedirect(digest)).toBeNull();
    });
  },
);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

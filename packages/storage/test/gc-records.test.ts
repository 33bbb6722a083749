// The names and formats garbage collection reads: served records, manifest references, the walk.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import {
  classifyObjectKey,
  FilesystemStorage,
  InvalidEntryError,
  layerCacheObjectKey,
  listStoredObjects,
  manifestCacheObjectKey,
  manifestObjectKey,
  manifestReferences,
  nameOutcomeObjectKey,
  parseServedRecord,
  referrersObjectKey,
  servedObjectKey,
} from '../src/index.js';

const hex = 'ab'.repeat(32);
const digest = `sha256:${hex}`;
const other = `sha256:${'cd'.repeat(32)}`;

describe('served records', () => {
  test('name, kind and format', () => {
    expect(servedObjectKey(digest)).toBe(`served/sha256/${hex}`);
    expect(classifyObjectKey(`served/sha256/${hex}`)).toEqual({ kind: 'served', digest });
    expect(classifyObjectKey('served/sha256/nothex')).toEqual({ kind: 'other' });
    expect(parseServedRecord({ servedAt: '2026-01-02T03:04:05.000Z' }).toISOString()).toBe(
      '2026-01-02T03:04:05.000Z',
    );
    for (const bad of [null, {}, { servedAt: 'yesterday' }, { servedAt: 5 }])
      expect(() => parseServedRecord(bad)).toThrow(InvalidEntryError);
  });
});

describe('manifestReferences', () => {
  test('an image manifest: config and layers; an artifact: and its subject; an index: its manifests', () => {
    expect(manifestReferences({ config: { digest, size: 1 }, layers: [{ digest: other, size: 2 }] })).toEqual(
      {
        blobs: [
          { digest, size: 1 },
          { digest: other, size: 2 },
        ],
        manifests: [],
        subject: null,
      },
    );
    expect(
      manifestReferences({ config: { digest, size: 1 }, layers: [], subject: { digest: other, size: 3 } })
        .subject,
    ).toBe(other);
    expect(manifestReferences({ manifests: [{ digest, size: 1 }] })).toEqual({
      blobs: [],
      manifests: [digest],
      subject: null,
    });
    for (const bad of [
      null,
      {},
      { config: { digest: 'x', size: 1 }, layers: [] },
      { manifests: [{ digest }] },
    ])
      expect(() => manifestReferences(bad)).toThrow(InvalidEntryError);
  });
});

test('listStoredObjects sorts every key verify and gc know by kind, and leaves the rest out', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'storage-walk-'));
  try {
    const storage = new FilesystemStorage(root);
    const key = 'ef'.repeat(32);
    for (const name of [
      layerCacheObjectKey(key),
      manifestCacheObjectKey(key),
      manifestObjectKey(digest),
      referrersObjectKey(digest),
      servedObjectKey(other),
      nameOutcomeObjectKey(key),
    ])
      await storage.putObject(name, Buffer.from('{}'), 'application/json');
    await storage.putBlob(Readable.from([Buffer.from('a blob')]));
    const walked = await listStoredObjects(storage);
    expect(walked.layerEntries.map((o) => o.key)).toEqual([layerCacheObjectKey(key)]);
    expect(walked.imageRecords.map((o) => [o.key, o.cacheKey])).toEqual([[manifestCacheObjectKey(key), key]]);
    expect(walked.manifests.map((o) => o.digest)).toEqual([digest]);
    expect(walked.referrers.map((o) => o.subject)).toEqual([digest]);
    expect(walked.served.map((o) => o.digest)).toEqual([other]);
    expect(walked.served[0]?.modified).toBeInstanceOf(Date);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

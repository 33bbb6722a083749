// A real S3 server (s3rver) on the loopback, for tests. s3rver accepts only its own access key
// (S3RVER) but does not verify SigV4 signatures, so these tests prove the requests, the object
// semantics and the presigned URLs' shape and use, never that a signature is right.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error: s3rver ships no types
import S3rver from 's3rver';

export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const S3_TEST_REGION = 'us-east-1';

/** Creates an empty bucket on the s3rver at `endpoint` (the driver never creates buckets). */
export async function createS3Bucket(endpoint: string, name: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: S3_TEST_REGION,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`, the value for S3_ENDPOINT. */
  readonly endpoint: string;
  /** Creates an empty bucket (the driver, like the GCS one, never creates buckets). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface StoredObject {
  content: NodeJS.ReadableStream | null;
  range?: { start: number; end: number };
}

interface FilesystemStore {
  getObject(
    bucket: string,
    key: string,
    options?: { start?: number; end?: number },
  ): Promise<StoredObject | null>;
  getResourcePath(bucket: string, key: string, kind: 'object' | 'object.md5' | 'metadata.json'): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface S3rverInstance {
  store: FilesystemStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * s3rver 3.7 reads `Range: bytes=0-0` as "from 0 to the end" (it takes a range end of 0 as
 * absent); S3 answers the first byte. Serve that case the way S3 does, so the contract suite
 * tests the driver and not this server's bug.
 */
function answerFirstByteRanges(store: FilesystemStore): void {
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const object = await getObject(bucket, key, options);
    if (options?.end !== 0 || !object?.content) return object;
    (object.content as NodeJS.ReadableStream & { destroy(): void }).destroy();
    object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
    object.range = { start: 0, end: 0 };
    return object;
  };
}

/**
 * s3rver's deleteObject removes a key's folders once they are empty, which races with a put
 * into the same folder (the put's write stream then fails to open, an uncaught ENOENT inside
 * s3rver): two instances staging uploads under `staging/` hit it. S3 has no folders; deleting
 * only the object's files keeps its semantics and leaves empty folders behind.
 */
function keepFoldersOnDelete(store: FilesystemStore): void {
  store.deleteObject = async (bucket, key) => {
    const files = (['object', 'object.md5', 'metadata.json'] as const).map((kind) =>
      store.getResourcePath(bucket, key, kind),
    );
    await Promise.all(
      files.map((file) =>
        unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

/**
 * Starts s3rver on the loopback: on a free port with a fresh folder by default; with `port` and
 * `directory`, where a previous run left its buckets (a restarted server keeps its data, as a
 * real bucket does through an outage; the folder is then the caller's to remove).
 */
export async function startS3Server(
  options: { port?: number; directory?: string } = {},
): Promise<S3TestServer> {
  const directory = options.directory ?? (await mkdtemp(path.join(tmpdir(), 's3rver-')));
  const server = new (S3rver as new (options: object) => S3rverInstance)({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
  });
  answerFirstByteRanges(server.store);
  keepFoldersOnDelete(server.store);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    createBucket: (name) => createS3Bucket(endpoint, name),
    async stop() {
      await server.close();
      if (options.directory === undefined) await rm(directory, { recursive: true, force: true });
    },
  };
}

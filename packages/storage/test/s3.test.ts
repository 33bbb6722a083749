// S3-only behaviour, against a real S3 server process on the loopback (s3rver; it does not check
// SigV4 signatures, see support/s3-server.ts).
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createStorage, InvalidArgumentError, type S3Storage, type S3StorageOptions } from '../src/index.js';
import { S3_TEST_REGION, S3RVER_CREDENTIALS, type S3TestServer, startS3Server } from './support/s3-server.js';
import { chunked, patternBytes, readAll, sha256Digest } from './support/streams.js';

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

async function s3(options: Partial<S3StorageOptions> = {}): Promise<S3Storage> {
  const bucket = `test-${randomUUID()}`;
  await server.createBucket(bucket);
  return createStorage({
    backend: 's3',
    bucket,
    region: S3_TEST_REGION,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    ...options,
  }) as S3Storage;
}

/** The S3 operations a client sends, by name, in order. */
function recordCommands(storage: S3Storage): string[] {
  const names: string[] = [];
  storage.client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return names;
}

describe('S3 storage', () => {
  test('a large layer goes up in parts, is copied to blobs/sha256/<hex>, and leaves no staging object', async () => {
    const storage = await s3();
    const commands = recordCommands(storage);
    const bytes = patternBytes(20 * 1024 * 1024 + 3, 8);
    const { digest, size } = await storage.putBlob(chunked(bytes, 256 * 1024), {
      contentType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    });
    expect({ digest, size }).toEqual({ digest: sha256Digest(bytes), size: bytes.length });

    // 8 MiB parts: 8 + 8 + 4 MiB, two of them in flight at a time.
    expect(commands.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).toContain('CreateMultipartUploadCommand');
    expect(commands).toContain('CompleteMultipartUploadCommand');
    expect(commands).toContain('CopyObjectCommand');

    const listed = await storage.client.send(new ListObjectsV2Command({ Bucket: storage.bucket }));
    expect((listed.Contents ?? []).map((object) => object.Key)).toEqual([`blobs/sha256/${digest.slice(7)}`]);
    const head = await storage.client.send(
      new HeadObjectCommand({ Bucket: storage.bucket, Key: `blobs/sha256/${digest.slice(7)}` }),
    );
    expect(head.ContentType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(sha256Digest(await readAll(await storage.readBlob(digest)))).toBe(digest);
  });

  test('a small blob is one PutObject; blobs keep their content type, octet-stream by default', async () => {
    const storage = await s3();
    const commands = recordCommands(storage);
    const config = await storage.putBlob(chunked(Buffer.from('{"config":1}')), {
      contentType: 'application/vnd.oci.image.config.v1+json',
    });
    expect(commands.filter((name) => name.includes('Multipart') || name === 'UploadPartCommand')).toEqual([]);
    expect(commands).toContain('PutObjectCommand');
    expect((await storage.statBlob(config.digest))?.contentType).toBe(
      'application/vnd.oci.image.config.v1+json',
    );
    const plain = await storage.putBlob(chunked(Buffer.from('plain')));
    expect((await storage.statBlob(plain.digest))?.contentType).toBe('application/octet-stream');
  });

  test('with presigned URLs on (the default), blobRedirect gives a SigV4 URL valid for the TTL that serves the blob', async () => {
    const storage = await s3();
    const bytes = Buffer.from('served by redirect');
    const { digest } = await storage.putBlob(chunked(bytes));

    const url = new URL((await storage.blobRedirect(digest))!);
    expect(url.origin).toBe(server.endpoint);
    expect(url.pathname).toBe(`/${storage.bucket}/blobs/sha256/${digest.slice('sha256:'.length)}`);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(sha256Digest(Buffer.from(await response.arrayBuffer()))).toBe(digest);
  });

  test('presignedUrls: false means no redirect; the TTL is configurable within the SigV4 limit', async () => {
    const streaming = await s3({ presignedUrls: false });
    const { digest } = await streaming.putBlob(chunked(Buffer.from('streamed')));
    expect(await streaming.blobRedirect(digest)).toBeNull();

    const shortLived = await s3({ signedUrlTtlSeconds: 60 });
    await shortLived.putBlob(chunked(Buffer.from('streamed')));
    expect(new URL((await shortLived.blobRedirect(digest))!).searchParams.get('X-Amz-Expires')).toBe('60');
    await expect(s3({ signedUrlTtlSeconds: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(s3({ signedUrlTtlSeconds: 8 * 24 * 3600 })).rejects.toThrow(InvalidArgumentError);
    await expect(s3({ bucket: '' })).rejects.toThrow(InvalidArgumentError);
  });

  test('objects are stored under their key with their content type, readable by other S3 clients', async () => {
    const storage = await s3();
    await storage.putObject('layers/abc.json', Buffer.from('{"digest":"x"}'), 'application/json');
    const object = await storage.client.send(
      new GetObjectCommand({ Bucket: storage.bucket, Key: 'layers/abc.json' }),
    );
    expect(object.ContentType).toBe('application/json');
    expect(await object.Body?.transformToString()).toBe('{"digest":"x"}');
  });

  test('a range starting past the end reads as empty, like the other drivers', async () => {
    const storage = await s3();
    const { digest } = await storage.putBlob(chunked(Buffer.from('short')));
    expect((await readAll(await storage.readBlob(digest, { start: 10, end: 20 }))).length).toBe(0);
  });
});

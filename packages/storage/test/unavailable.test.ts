// Which storage failures say "not now" (worth a 503 and a retry) and which do not, on the real
// S3 SDK talking to a closed port and to a server that answers every request with one status.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createStorage, DigestMismatchError, isStorageUnavailable, type Storage } from '../src/index.js';
import { freeLoopbackPort } from './support/gcs-emulator.js';
import { S3_TEST_REGION, S3RVER_CREDENTIALS } from './support/s3-server.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function s3At(endpoint: string): Storage {
  return createStorage({
    backend: 's3',
    bucket: 'unavailable',
    region: S3_TEST_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
}

/** An S3 endpoint that answers everything with `status` and an S3 error document. */
async function answering(status: number, code: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/xml' });
    res.end(`<?xml version="1.0"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the storage call to fail');
}

describe('isStorageUnavailable', () => {
  test('S3 on a port nobody listens on: unavailable', async () => {
    const storage = s3At(`http://127.0.0.1:${await freeLoopbackPort()}`);
    expect(isStorageUnavailable(await failure(storage.getObject('manifests/x')))).toBe(true);
  });

  test('S3 answering 503 SlowDown or 500: unavailable; 403 AccessDenied: not', async () => {
    expect(isStorageUnavailable(await failure(s3At(await answering(503, 'SlowDown')).getObject('a/b')))).toBe(
      true,
    );
    expect(
      isStorageUnavailable(await failure(s3At(await answering(500, 'InternalError')).getObject('a/b'))),
    ).toBe(true);
    expect(
      isStorageUnavailable(await failure(s3At(await answering(403, 'AccessDenied')).getObject('a/b'))),
    ).toBe(false);
  });

  test('a full disk or a digest mismatch is not "unavailable", also as a cause', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(isStorageUnavailable(full)).toBe(false);
    expect(isStorageUnavailable(new Error('storing failed', { cause: full }))).toBe(false);
    expect(isStorageUnavailable(new DigestMismatchError(`sha256:${'0'.repeat(64)}`, 'x', 1))).toBe(false);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isStorageUnavailable(new Error('upload failed', { cause: reset }))).toBe(true);
    expect(isStorageUnavailable(null)).toBe(false);
  });
});

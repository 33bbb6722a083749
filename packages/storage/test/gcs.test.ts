// GCS-only behaviour, against the real Cloud Storage emulator from firebase-tools.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createStorage, type GcsStorage, InvalidArgumentError } from '../src/index.js';
import { type GcsEmulator, startGcsEmulator } from './support/gcs-emulator.js';
import { chunked, patternBytes, sha256Digest } from './support/streams.js';

let emulator: GcsEmulator;
let scratch: string;
let keyFile: string;

beforeAll(async () => {
  emulator = await startGcsEmulator();
  scratch = await mkdtemp(path.join(tmpdir(), 'storage-gcs-'));
  keyFile = path.join(scratch, 'service-account.json');
  await writeFile(keyFile, JSON.stringify(throwawayServiceAccountKey()));
});

afterAll(async () => {
  await emulator?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A service-account key that exists nowhere but here: enough for the library to sign V4 URLs. */
function throwawayServiceAccountKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account',
    project_id: 'nixery-test',
    private_key_id: randomUUID().replaceAll('-', ''),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: 'nixery-test@nixery-test.iam.gserviceaccount.com',
    client_id: '1',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
}

function gcs(options: { credentialsFile?: string; signedUrlTtlSeconds?: number } = {}): GcsStorage {
  return createStorage({ backend: 'gcs', bucket: `test-${randomUUID()}`, ...options }) as GcsStorage;
}

describe('GCS storage', () => {
  test('blobs keep the content type they were uploaded with; octet-stream by default', async () => {
    const storage = gcs();
    const typed = await storage.putBlob(chunked(Buffer.from('{"a":1}')), { contentType: 'application/json' });
    const untyped = await storage.putBlob(chunked(Buffer.from('raw')));
    expect(await storage.statBlob(typed.digest)).toEqual({ size: 7, contentType: 'application/json' });
    expect(await storage.statBlob(untyped.digest)).toEqual({
      size: 3,
      contentType: 'application/octet-stream',
    });
  });

  test('blobs land at blobs/sha256/<hex> and nothing stays under staging/', async () => {
    const storage = gcs();
    const bytes = patternBytes(100_000, 5);
    const { digest } = await storage.putBlob(chunked(bytes));
    const [files] = await storage.bucket.getFiles();
    expect(files.map((file) => file.name)).toEqual([`blobs/sha256/${digest.slice('sha256:'.length)}`]);
  });

  test('with a service-account key, blobRedirect signs a V4 read URL valid for the configured TTL', async () => {
    const storage = gcs({ credentialsFile: keyFile });
    const bytes = Buffer.from('served by redirect');
    const { digest } = await storage.putBlob(chunked(bytes));

    const url = new URL((await storage.blobRedirect(digest))!);
    expect(url.pathname).toBe(`/${storage.bucket.name}/blobs/sha256/${digest.slice('sha256:'.length)}`);
    expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    expect(url.searchParams.get('X-Goog-Expires')).toBe('300');
    expect(url.searchParams.get('X-Goog-Credential')).toMatch(
      /^nixery-test@nixery-test\.iam\.gserviceaccount\.com\//,
    );
    expect(url.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);

    // The emulator serves signed URLs (it does not check signatures): the URL leads to the bytes.
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(sha256Digest(Buffer.from(await response.arrayBuffer()))).toBe(digest);
  });

  test('signedUrlTtlSeconds sets the expiry and is bounded by the V4 limit', async () => {
    const storage = gcs({ credentialsFile: keyFile, signedUrlTtlSeconds: 60 });
    const { digest } = await storage.putBlob(chunked(Buffer.from('short-lived')));
    expect(new URL((await storage.blobRedirect(digest))!).searchParams.get('X-Goog-Expires')).toBe('60');

    expect(() => gcs({ signedUrlTtlSeconds: 0 })).toThrow(InvalidArgumentError);
    expect(() => gcs({ signedUrlTtlSeconds: 8 * 24 * 3600 })).toThrow(InvalidArgumentError);
  });

  test('a credentials file without a private key means no redirect', async () => {
    const authorizedUser = path.join(scratch, 'authorized-user.json');
    await writeFile(
      authorizedUser,
      JSON.stringify({ type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' }),
    );
    const storage = gcs({ credentialsFile: authorizedUser });
    const { digest } = await storage.putBlob(chunked(Buffer.from('no signing')));
    expect(await storage.blobRedirect(digest)).toBeNull();
  });

  test('objects are stored under their key, readable by other GCS clients', async () => {
    const storage = gcs();
    await storage.putObject('layers/abc.json', Buffer.from('{"digest":"x"}'), 'application/json');
    const [metadata] = await storage.bucket.file('layers/abc.json').getMetadata();
    expect(metadata.contentType).toBe('application/json');
    const [body] = await storage.bucket.file('layers/abc.json').download();
    expect(body.toString()).toBe('{"digest":"x"}');
  });
});

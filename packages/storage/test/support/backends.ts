// The backends behind one harness, so the same behavioural suite runs over both.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { createStorage, type GcsStorage, type S3Storage, type Storage } from '../../src/index.js';
import { type GcsEmulator, startGcsEmulator } from './gcs-emulator.js';
import { S3_TEST_REGION, S3RVER_CREDENTIALS, type S3TestServer, startS3Server } from './s3-server.js';

export interface BackendUnderTest {
  readonly storage: Storage;
  /** Leaves a file in the staging area, as a crashed upload would. */
  plantStagingLeftover(name: string, body: Buffer): Promise<void>;
  /** Names currently in the staging area. */
  stagingNames(): Promise<string[]>;
}

export interface BackendHarness {
  readonly name: 'filesystem' | 'gcs' | 's3';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty storage (its own directory or bucket). */
  create(): Promise<BackendUnderTest>;
}

export function filesystemHarness(): BackendHarness {
  let parent = '';
  return {
    name: 'filesystem',
    async setup() {
      parent = await mkdtemp(path.join(tmpdir(), 'storage-fs-'));
    },
    async teardown() {
      await rm(parent, { recursive: true, force: true });
    },
    async create() {
      const root = path.join(parent, randomUUID());
      const storage = createStorage({ backend: 'filesystem', path: root });
      const stagingDir = path.join(root, 'staging');
      return {
        storage,
        async plantStagingLeftover(name, body) {
          await mkdir(stagingDir, { recursive: true });
          await writeFile(path.join(stagingDir, name), body);
        },
        async stagingNames() {
          try {
            return await readdir(stagingDir);
          } catch {
            return [];
          }
        },
      };
    },
  };
}

export function gcsHarness(): BackendHarness {
  let emulator: GcsEmulator | undefined;
  return {
    name: 'gcs',
    async setup() {
      emulator = await startGcsEmulator();
    },
    async teardown() {
      await emulator?.stop();
    },
    async create() {
      // The emulator creates a bucket on first upload; a fresh name isolates each test.
      const storage = createStorage({ backend: 'gcs', bucket: `test-${randomUUID()}` }) as GcsStorage;
      return {
        storage,
        async plantStagingLeftover(name, body) {
          await storage.bucket.file(`staging/${name}`).save(body, { resumable: false });
        },
        async stagingNames() {
          const [files] = await storage.bucket.getFiles({ prefix: 'staging/' });
          return files.map((file) => file.name.slice('staging/'.length));
        },
      };
    },
  };
}

export function s3Harness(): BackendHarness {
  let server: S3TestServer | undefined;
  return {
    name: 's3',
    async setup() {
      server = await startS3Server();
    },
    async teardown() {
      await server?.stop();
    },
    async create() {
      const bucket = `test-${randomUUID()}`;
      await server!.createBucket(bucket);
      const storage = createStorage({
        backend: 's3',
        bucket,
        region: S3_TEST_REGION,
        endpoint: server!.endpoint,
        forcePathStyle: true,
        presignedUrls: false,
        credentials: S3RVER_CREDENTIALS,
      }) as S3Storage;
      const client = storage.client;
      return {
        storage,
        async plantStagingLeftover(name, body) {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: `staging/${name}`, Body: body }));
        },
        async stagingNames() {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'staging/' }));
          return (listed.Contents ?? []).map((object) => (object.Key ?? '').slice('staging/'.length));
        },
      };
    },
  };
}

import { FilesystemStorage } from './filesystem.js';
import { GcsStorage } from './gcs.js';
import { S3Storage, type S3StorageOptions } from './s3.js';
import type { Storage } from './types.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | { backend: 'gcs'; bucket: string; credentialsFile?: string | null; signedUrlTtlSeconds?: number }
  | ({ backend: 's3' } & S3StorageOptions);

export function createStorage(config: StorageConfig): Storage {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemStorage(config.path);
    case 'gcs':
      return new GcsStorage({
        bucket: config.bucket,
        ...(config.credentialsFile ? { credentialsFile: config.credentialsFile } : {}),
        ...(config.signedUrlTtlSeconds !== undefined
          ? { signedUrlTtlSeconds: config.signedUrlTtlSeconds }
          : {}),
      });
    case 's3': {
      const { backend: _backend, ...options } = config;
      return new S3Storage(options);
    }
  }
}

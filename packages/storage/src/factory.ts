import { FilesystemStorage } from './filesystem.js';
import { GcsStorage } from './gcs.js';
import type { Storage } from './types.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | { backend: 'gcs'; bucket: string; credentialsFile?: string | null; signedUrlTtlSeconds?: number };

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
  }
}

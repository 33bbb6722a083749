import { FilesystemStorage } from './filesystem.js';
import { GcsStorage } from './gcs.js';
import type { Storage } from './types.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | { backend: 'gcs'; bucket: string; credentialsFile?: string; signedUrlTtlSeconds?: number };

export function createStorage(config: StorageConfig): Storage {
  switch (config.backend) {
    case 'filesystem':
      return new FilesystemStorage(config.path);
    case 'gcs':
      return new GcsStorage(config);
  }
}

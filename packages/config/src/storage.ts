import { type Env, trueFalseSetting, value } from './values.js';

export type StorageConfig =
  | { backend: 'filesystem'; path: string }
  | {
      backend: 'gcs';
      bucket: string;
      /** Service-account key file; when set, blob requests are redirected to signed URLs. */
      credentialsFile: string | null;
    }
  | {
      backend: 's3';
      bucket: string;
      region: string;
      /** A custom endpoint for S3-compatible services; absent for AWS itself. */
      endpoint?: string;
      forcePathStyle: boolean;
      /** Blob requests are redirected to presigned URLs (S3_USE_PRESIGNED_URLS, default true). */
      presignedUrls: boolean;
    };

/** NIXERY_STORAGE_BACKEND and the variables of the chosen backend; null when any is wrong. */
export function storageSetting(env: Env, problems: string[]): StorageConfig | null {
  const backend = value(env, 'storageBackend') ?? 'filesystem';
  if (backend === 'filesystem') {
    const path = value(env, 'storagePath');
    if (path === undefined) {
      problems.push('STORAGE_PATH must be set to a directory when NIXERY_STORAGE_BACKEND is filesystem');
      return null;
    }
    return { backend, path };
  }
  if (backend === 'gcs') {
    const bucket = value(env, 'gcsBucket');
    if (bucket === undefined) {
      problems.push('GCS_BUCKET must be set when NIXERY_STORAGE_BACKEND is gcs');
      return null;
    }
    return { backend, bucket, credentialsFile: value(env, 'googleCredentials') ?? null };
  }
  if (backend === 's3') return s3Setting(env, problems);
  problems.push(`NIXERY_STORAGE_BACKEND=${JSON.stringify(backend)} must be 'filesystem', 'gcs' or 's3'`);
  return null;
}

/** Credentials are not configuration here: they come from the AWS SDK's own chain. */
function s3Setting(env: Env, problems: string[]): StorageConfig | null {
  const before = problems.length;
  const bucket = value(env, 's3Bucket');
  if (bucket === undefined) problems.push('S3_BUCKET must be set when NIXERY_STORAGE_BACKEND is s3');
  const region = value(env, 'awsRegion');
  if (region === undefined) {
    problems.push(
      "AWS_REGION must be set when NIXERY_STORAGE_BACKEND is s3 (any name, e.g. 'us-east-1', for other S3 services)",
    );
  }
  const endpoint = value(env, 's3Endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    problems.push(`S3_ENDPOINT=${JSON.stringify(endpoint)} must be an http(s) URL`);
  }
  const forcePathStyle = trueFalseSetting(env, 's3ForcePathStyle', problems);
  const presignedUrls = trueFalseSetting(env, 's3UsePresignedUrls', problems);
  if (problems.length > before || bucket === undefined || region === undefined) return null;
  return {
    backend: 's3',
    bucket,
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    forcePathStyle,
    presignedUrls,
  };
}

// S3 (s3rver) for the end-to-end tests: the registry's S3 settings, s3rver's credentials in the
// SDK's standard chain, and s3rver in a process of its own for tests that kill it.
// s3rver does not check SigV4 signatures (see packages/storage/test/support/s3-server.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { S3Storage } from '@nixery/storage';
import { S3_TEST_REGION, S3RVER_CREDENTIALS } from '../../../packages/storage/test/support/s3-server.js';

export {
  createS3Bucket,
  type S3TestServer,
  startS3Server,
} from '../../../packages/storage/test/support/s3-server.js';

const SERVER_SCRIPT = fileURLToPath(
  new URL('../../../packages/storage/test/support/s3-server-process.ts', import.meta.url),
);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The registry's variables for a bucket on an s3rver at `endpoint`. */
export function s3RegistryEnv(endpoint: string, bucket: string, presigned = true): Record<string, string> {
  return {
    NIXERY_STORAGE_BACKEND: 's3',
    S3_BUCKET: bucket,
    AWS_REGION: S3_TEST_REGION,
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_USE_PRESIGNED_URLS: String(presigned),
  };
}

/**
 * Puts s3rver's key into the environment, where the registry's SDK client finds it (its
 * standard credential chain); returns a function that puts the previous values back.
 */
export function useS3rverCredentials(): () => void {
  const previous = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  return () => {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', previous.id],
      ['AWS_SECRET_ACCESS_KEY', previous.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** The blob store over a bucket of the s3rver at `endpoint`, as a test reads it. */
export function s3TestStorage(endpoint: string, bucket: string): S3Storage {
  return new S3Storage({
    bucket,
    region: S3_TEST_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
  });
}

export interface S3ServerProcess {
  readonly endpoint: string;
  /** SIGKILL: the server dies at once, mid-request, as a crashed service does. */
  kill(): Promise<void>;
}

/** s3rver in its own process on `port`, keeping its buckets in `directory` across restarts. */
export async function startS3ServerProcess(port: number, directory: string): Promise<S3ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', SERVER_SCRIPT, String(port), directory],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^READY (\S+)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`s3rver exited before starting:\n${output}`)));
  });
  return {
    endpoint,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

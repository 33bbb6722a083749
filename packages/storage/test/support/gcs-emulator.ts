// Starts the real Cloud Storage emulator (firebase-tools) in a child process for tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_SCRIPT = fileURLToPath(new URL('./gcs-emulator-server.mjs', import.meta.url));
const STARTUP_TIMEOUT_MS = 90_000;

export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`, the value for STORAGE_EMULATOR_HOST. */
  readonly host: string;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the emulator needs a fixed port, not 0). */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the emulator and points STORAGE_EMULATOR_HOST at it (restored by stop()).
 * The emulator keeps uploads under $TMPDIR/firebase and deletes that folder on exit,
 * so each instance gets a TMPDIR of its own.
 */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const port = await freeLoopbackPort();
  const scratch = await mkdtemp(path.join(tmpdir(), 'gcs-emulator-'));
  const child = spawn(process.execPath, [SERVER_SCRIPT, String(port)], {
    env: { ...process.env, TMPDIR: scratch },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await waitUntilReady(child);

  const host = `http://127.0.0.1:${port}`;
  const previousHost = process.env.STORAGE_EMULATOR_HOST;
  process.env.STORAGE_EMULATOR_HOST = host;
  return {
    host,
    async stop() {
      if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previousHost;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`GCS emulator did not start in time:\n${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/^READY \d+$/m.test(output)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onErrorOutput);
        child.off('exit', onExit);
        // Keep draining so the emulator's log never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    const onExit = (code: number | null) =>
      fail(new Error(`GCS emulator exited (${code}) before starting:\n${output}`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.stdout?.on('data', onData);
    const onErrorOutput = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stderr?.on('data', onErrorOutput);
    child.once('exit', onExit);
  });
}

// The GCS emulator on a fixed port, so a test can kill it mid-upload and bring it back where
// the registry's storage client still points.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_SCRIPT = fileURLToPath(
  new URL('../../../packages/storage/test/support/gcs-emulator-server.mjs', import.meta.url),
);

// One helper for free ports, shared with the storage package's emulator support.
export { freeLoopbackPort } from '../../../packages/storage/test/support/gcs-emulator.js';

export interface EmulatorProcess {
  kill(): Promise<void>;
}

/** Starts the firebase-tools Cloud Storage emulator on `port`; each start has empty storage. */
export async function startEmulatorOnPort(port: number): Promise<EmulatorProcess> {
  const scratch = await mkdtemp(join(tmpdir(), 'nixery-gcs-fault-'));
  const child: ChildProcess = spawn(process.execPath, [SERVER_SCRIPT, String(port)], {
    env: { ...process.env, TMPDIR: scratch },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`GCS emulator did not start:\n${output}`)), 90_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^READY \d+$/m.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then(() => reject(new Error(`GCS emulator exited before starting:\n${output}`)));
  });
  return {
    /** SIGKILL: the emulator dies at once, mid-request, as a crashed or unreachable service would. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

export interface OutageSwitch {
  /** Resets every open connection and refuses new ones, as a dead or unreachable service. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay on `listenPort` to `targetPort`. Cutting it is a storage outage the registry sees
 * exactly as a stopped server (reset connections, refused connects); the emulator keeps its data,
 * as a real bucket does through an outage.
 */
export async function outageProxy(listenPort: number, targetPort: number): Promise<OutageSwitch> {
  const sockets = new Set<import('node:net').Socket>();
  let server: import('node:net').Server | null = null;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, '127.0.0.1');
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => resolve());
      server = s;
    });
  const stop = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.resetAndDestroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { cut: stop, restore: listen, close: stop };
}

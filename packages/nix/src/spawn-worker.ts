// The worker thread that starts Nix (see run-nix.ts): spawning a process blocks the calling
// thread for the fork and exec, which on a loaded machine took ~100 ms per Nix run of the
// server's event loop. Messages: see spawn-protocol.ts.
import { parentPort } from 'node:worker_threads';
import { runNixHere } from './run-nix-here.js';
import type { FromSpawner, ToSpawner } from './spawn-protocol.js';

const port = parentPort;
if (!port) throw new Error('spawn-worker.ts runs only as a worker thread');
const running = new Map<number, AbortController>();
const send = (message: FromSpawner) => port.postMessage(message);

port.on('message', (message: ToSpawner) => {
  if (message.type === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  const { id, file, args, env, timeoutMs } = message;
  const controller = new AbortController();
  running.set(id, controller);
  runNixHere(file, args, {
    env,
    timeoutMs,
    signal: controller.signal,
    onLogLine: (line) => send({ type: 'line', id, line }),
    onStart: (pid) => send({ type: 'pid', id, pid }),
  })
    .then(
      (result) => send({ type: 'done', id, result }),
      (error: unknown) =>
        send({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => running.delete(id));
});

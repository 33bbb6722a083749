// The child process that starts Nix (see run-nix.ts). Spawning from the server itself forks it,
// and after every fork each page the server writes costs a page fault once (copy-on-write):
// measured on our VMs at ~15 µs a page, a tenth of a 1,000-path build's layer stage. This small
// process does the forking instead; it also keeps the fork and exec (~100 ms on a loaded machine)
// off the server's event loop. Messages: see spawn-protocol.ts.
import { runNixHere } from './run-nix-here.js';
import type { FromSpawner, ToSpawner } from './spawn-protocol.js';

const send = process.send?.bind(process);
if (!send) throw new Error('spawn-process.ts runs only as a child process with an IPC channel');
const running = new Map<number, AbortController>();
let parentGone = false;

process.on('message', (message: ToSpawner) => {
  if (message.type === 'abort') {
    running.get(message.id)?.abort();
    return;
  }
  const { id, file, args, env, timeoutMs } = message;
  const controller = new AbortController();
  running.set(id, controller);
  const reply = (answer: FromSpawner) => {
    if (!parentGone) send(answer);
  };
  runNixHere(file, args, {
    env,
    timeoutMs,
    signal: controller.signal,
    onLogLine: (line) => reply({ type: 'line', id, line }),
    onStart: (pid) => reply({ type: 'pid', id, pid }),
  })
    .then(
      (result) => reply({ type: 'done', id, result }),
      (error: unknown) =>
        reply({ type: 'failed', id, message: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => {
      running.delete(id);
      if (parentGone && running.size === 0) process.exit(0);
    });
});

// The server ended (or let this process go when idle): Nix still running is stopped (SIGTERM,
// then SIGKILL), and this process ends once it has.
process.on('disconnect', () => {
  parentGone = true;
  if (running.size === 0) process.exit(0);
  for (const run of running.values()) run.abort();
});

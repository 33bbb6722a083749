// Runs the Cloud Storage emulator from firebase-tools in this process, for tests.
// Usage: node gcs-emulator-server.mjs <port>. Prints "READY <port>" once it accepts
// connections and stops cleanly on SIGTERM/SIGINT or when stdin closes (parent died).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: gcs-emulator-server.mjs <port>');
  process.exit(2);
}

const emulator = new StorageEmulator({
  projectId: 'nixery-test',
  host: '127.0.0.1',
  port,
  rules: { name: 'storage.rules', content: '' },
  auto_download: false,
});
// The security-rules runtime needs Java and a download; the GCS JSON API that we
// use goes through the admin layer and never consults rules, so these are no-ops.
emulator._rulesRuntime.start = async () => {};
emulator._rulesRuntime.stop = async () => {};
emulator._rulesManager.start = async () => [];
emulator._rulesManager.stop = async () => {};

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await EmulatorRegistry.stop(emulator.getName());
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();

await EmulatorRegistry.start(emulator);
process.stdout.write(`READY ${port}\n`);

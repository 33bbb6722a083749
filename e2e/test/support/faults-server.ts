// A registry in a process of its own, configured by Nixery's environment variables; prints
// "READY <url>" once listening. Fault tests start it, then kill it with SIGKILL mid-build.

import { loadConfig } from '@nixery/config';
import { startRegistry } from '@nixery/registry';
import { pino } from 'pino';

const config = loadConfig({ env: process.env });
const registry = await startRegistry({
  config,
  host: '127.0.0.1',
  logger: pino({ level: process.env.NIXERY_TEST_LOG ?? 'silent' }),
});
process.stdout.write(`READY ${registry.url}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void registry.shutdown().finally(() => process.exit(0)));
}

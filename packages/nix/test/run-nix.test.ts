import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { runNix, setSpawnerIdleMs, spawnerIsRunning } from '../src/run-nix.js';

const version = () => runNix('nix-instantiate', ['--version'], { timeoutMs: 30_000 });
// Minutes by default; a second here.
const SPAWNER_IDLE_MS = 1000;
setSpawnerIdleMs(SPAWNER_IDLE_MS);

test('Nix is started by the spawner process, never by this one (which would fork it)', async () => {
  const run = await runNix('sh', ['-c', 'echo $PPID'], { timeoutMs: 30_000 });
  expect(run.exitCode).toBe(0);
  const parent = Number(run.stdout.trim());
  expect(parent).toBeGreaterThan(0);
  expect(parent).not.toBe(process.pid);
});

test('the Nix spawner process ends once idle, and the next run starts a new one', async () => {
  const first = await version();
  expect(first.exitCode).toBe(0);
  expect(first.stdout).toMatch(/nix-instantiate \(Nix\) \d/);
  // Runs that follow each other keep the process.
  await sleep(SPAWNER_IDLE_MS / 4);
  expect((await version()).exitCode).toBe(0);
  expect(spawnerIsRunning()).toBe(true);
  await sleep(SPAWNER_IDLE_MS + 500);
  expect(spawnerIsRunning()).toBe(false);
  const again = await version();
  expect(again.exitCode).toBe(0);
  expect(again.stdout).toBe(first.stdout);
  // Several at once, after an idle end, all finish on the one new process.
  await sleep(SPAWNER_IDLE_MS + 500);
  const runs = await Promise.all([version(), version(), version()]);
  expect(runs.map((run) => run.exitCode)).toEqual([0, 0, 0]);
});

import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { runNix, SPAWNER_IDLE_MS, spawnerIsRunning } from '../src/run-nix.js';

const version = () => runNix('nix-instantiate', ['--version'], { timeoutMs: 30_000 });

test('the Nix spawner thread ends once idle, and the next run starts a new one', async () => {
  const first = await version();
  expect(first.exitCode).toBe(0);
  expect(first.stdout).toMatch(/nix-instantiate \(Nix\) \d/);
  // Runs that follow each other keep the thread.
  await sleep(SPAWNER_IDLE_MS / 4);
  expect((await version()).exitCode).toBe(0);
  expect(spawnerIsRunning()).toBe(true);
  await sleep(SPAWNER_IDLE_MS + 500);
  expect(spawnerIsRunning()).toBe(false);
  const again = await version();
  expect(again.exitCode).toBe(0);
  expect(again.stdout).toBe(first.stdout);
  // Several at once, after an idle end, all finish on the one new thread.
  await sleep(SPAWNER_IDLE_MS + 500);
  const runs = await Promise.all([version(), version(), version()]);
  expect(runs.map((run) => run.exitCode)).toEqual([0, 0, 0]);
});

// What the server's error paths rely on: a foreign system fails in Nix, brokenDemo fails with a
// log, slowDemo really sleeps (so a build timeout can be provoked).
import { describe, expect, test } from 'vitest';
import { buildAttrs, pkgsDir, runNix } from './nix.js';

// Not aarch64-linux: the set's aarch64 stand-ins build with extra-platforms (a server serving
// linux/arm64 does that), and once built they are in the shared store for every later build.
const foreignSystem = 'riscv64-linux';

describe('failing builds', () => {
  test(`a ${foreignSystem} build fails with Nix's "required system" error instead of building for the host`, async () => {
    const result = await runNix('nix-build', [
      pkgsDir,
      '--no-out-link',
      '--argstr',
      'system',
      foreignSystem,
      '-A',
      'hello',
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`a '${foreignSystem}' with features {} is required to build`);
  });

  test('brokenDemo fails with exit code 1 and leaves its log lines on stderr', async () => {
    const result = await runNix('nix-build', [pkgsDir, '--no-out-link', '-A', 'brokenDemo']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('brokenDemo: configuring (demo build)');
    expect(result.stderr).toContain('brokenDemo: error: this demo build fails on purpose');
    expect(result.stderr).toMatch(/broken-demo-1\.0\.drv' failed with exit code 1/);
  });

  test('slowDemo sleeps: a build timeout stops it, and it never completes (so it is never cached)', async () => {
    const started = Date.now();
    const result = await runNix('nix-build', [
      pkgsDir,
      '--no-out-link',
      '-A',
      'slowDemo',
      '--argstr',
      'slowSeconds',
      '86400',
      '--timeout',
      '2',
    ]);
    const seconds = (Date.now() - started) / 1000;
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('slowDemo: sleeping for 86400 seconds');
    expect(result.stderr).toMatch(/timed out after 2 seconds/);
    expect(seconds).toBeGreaterThanOrEqual(2);
    expect(seconds).toBeLessThan(30);
  });

  test('slowDemo with a short sleep builds', async () => {
    const [path] = await buildAttrs(['slowDemo'], ['--argstr', 'slowSeconds', '1']);
    expect(path).toMatch(/^\/nix\/store\/[0-9a-z]{32}-slow-demo-1\.0$/);
  });

  test('slowDemo rejects a duration that is not a whole number', async () => {
    const result = await runNix('nix-build', [
      pkgsDir,
      '--no-out-link',
      '-A',
      'slowDemo',
      '--argstr',
      'slowSeconds',
      '1; echo',
    ]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("slowDemo: slowSeconds must be a whole number, got '1; echo'");
  });
});

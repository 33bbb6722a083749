// `builders` reaches Nix: with no local build slots (max-jobs 0) a package nobody has built
// fails to build without a remote builder, and is built by a real one over SSH with one (an
// sshd on the loopback in front of a nix-daemon with a store of its own).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildImageClosure } from '../src/index.js';
import { expectOk, FIXTURE_SET, OFFLINE, pathSource } from './helpers.js';
import { markerPackageSet, type SshBuilder, sshdAvailable, startSshBuilder } from './support/ssh-builder.js';

const system = 'x86_64-linux';
const NO_LOCAL_BUILDS = ['--option', 'max-jobs', '0'];

let builder: SshBuilder;
let set: Awaited<ReturnType<typeof markerPackageSet>>;
const previousSshOpts = process.env.NIX_SSHOPTS;
beforeAll(async () => {
  if (!sshdAvailable()) throw new Error('no /usr/sbin/sshd: run scripts/bootstrap.sh --test-clients');
  builder = await startSshBuilder();
  set = await markerPackageSet(FIXTURE_SET);
  // Nix's ssh runs with these options (the runner hands Nix this process's environment).
  process.env.NIX_SSHOPTS = builder.sshOpts;
});
afterAll(async () => {
  if (previousSshOpts === undefined) delete process.env.NIX_SSHOPTS;
  else process.env.NIX_SSHOPTS = previousSshOpts;
  await builder?.stop();
  await set?.remove();
});

describe('remote builders', () => {
  const request = () => ({ packages: ['fleetMarker', 'hello'], system, source: pathSource(set.dir) });

  test('without a builder, a machine with no build slots cannot build the package', async () => {
    const result = await buildImageClosure(request(), {
      timeoutSeconds: 60,
      ...OFFLINE,
      builders: '',
      extraNixArgs: NO_LOCAL_BUILDS,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe('build-failed');
    expect(JSON.stringify(result)).toMatch(/unable to start any build/);
  });

  test('with one, the package is built in the builder’s store and copied back', async () => {
    const result = await buildImageClosure(request(), {
      timeoutSeconds: 60,
      ...OFFLINE,
      builders: builder.machine,
      extraNixArgs: NO_LOCAL_BUILDS,
    });
    expectOk(result);
    const marker = result.packages.find((p) => p.name === 'fleetMarker');
    expect(marker?.outPath).toMatch(/-fleet-marker-1\.0$/);
    // Built there: the output is in the builder's own store…
    expect(await builder.storePaths()).toContain(basename(marker!.outPath));
    // …and here, with the salt this run wrote into the package set.
    expect(readFileSync(`${marker!.outPath}/share/fleet-marker/salt`, 'utf8').trim()).toBe(set.salt);
    expect(result.graph.graph.map((p) => p.path)).toContain(marker!.outPath);
  });
});

// A real Nix remote builder on the loopback, for tests: Debian's OpenSSH server (`sshd -f` with
// its own config, host key and authorized key, on a free port) in front of a nix-daemon that
// serves a store of its own (`local?root=DIR`), so what it builds lands in DIR/nix/store and is
// copied back to this machine's store by Nix, as from any build farm.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Where Debian's openssh-server puts the daemon (`scripts/bootstrap.sh --test-clients`). */
const SSHD = '/usr/sbin/sshd';
const HOST_ALIAS = 'nixery-test-builder';

export interface SshBuilder {
  /** The builder as a line of Nix's machine spec, for `builders` / NIXERY_NIX_BUILDERS. */
  readonly machine: string;
  /** `-F <ssh config>`: Nix reads its ssh options from NIX_SSHOPTS. */
  readonly sshOpts: string;
  /** The root of the builder's own store: its paths live in `<storeRoot>/nix/store`. */
  readonly storeRoot: string;
  /** Store-path base names (`<hash>-<name>`) in the builder's store. */
  storePaths(): Promise<string[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/** Starts sshd on a free loopback port and returns the builder Nix can use through it. */
export async function startSshBuilder(): Promise<SshBuilder> {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-ssh-builder-'));
  const storeRoot = join(dir, 'store');
  await mkdir(storeRoot);
  // sshd refuses to start without its privilege-separation directory.
  await mkdir('/run/sshd', { recursive: true });
  const key = (name: string) =>
    execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  await Promise.all([key('host_key'), key('client_key')]);
  await execa('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')]);
  const port = await freePort();
  await writeFile(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      // The temp folder is world-readable; this sshd serves only this test's key.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      '',
    ].join('\n'),
  );
  const user = (await execa('id', ['-un'])).stdout.trim();
  await writeFile(
    join(dir, 'ssh_config'),
    [
      `Host ${HOST_ALIAS}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${join(dir, 'client_key')}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // A store under another root builds only in a sandbox; the demo sets' builders are the
  // host's /bin/sh and tools (some linked through /etc/alternatives), so those folders are lent to
  // it. No binary cache: build for real.
  const wrapper = join(dir, 'remote-nix-daemon');
  await writeFile(
    wrapper,
    [
      '#!/bin/sh',
      'NIX_CONFIG="extra-sandbox-paths = /bin /lib /lib64 /usr /etc/alternatives',
      'substituters ="',
      'export NIX_CONFIG',
      'exec nix-daemon "$@"',
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);

  // -D: stays in the foreground, so the child is sshd itself and stopping it is one kill.
  const sshd: ChildProcess = spawn(
    SSHD,
    ['-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<void>((resolve) => sshd.once('exit', () => resolve()));
  const sshOpts = `-F ${join(dir, 'ssh_config')}`;
  // Ready once a login works (sshd listens a moment after it starts).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const probe = await execa('ssh', ['-F', join(dir, 'ssh_config'), HOST_ALIAS, 'true'], { reject: false });
    if (probe.exitCode === 0) break;
    if (sshd.exitCode !== null || Date.now() > deadline) {
      sshd.kill('SIGKILL');
      throw new Error(`the test sshd did not accept a login: ${probe.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const machine = `ssh-ng://${HOST_ALIAS}?remote-store=local?root=${storeRoot}&remote-program=${wrapper} x86_64-linux - 2`;
  return {
    machine,
    sshOpts,
    storeRoot,
    async storePaths() {
      try {
        return (await readdir(join(storeRoot, 'nix', 'store'))).filter((name) => !name.startsWith('.'));
      } catch {
        return [];
      }
    },
    async stop() {
      if (sshd.exitCode === null && sshd.signalCode === null) {
        sshd.kill('SIGTERM');
        await exited;
      }
      // The builder's store is read-only to its owner like any Nix store: make it removable.
      await execa('chmod', ['-R', 'u+w', dir], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A package set directory: `base` (imported with the same arguments) plus `fleetMarker`, a
 * package no store has built yet: its output is share/fleet-marker/salt, holding a fresh salt.
 * Each call gives another salt, so each test run really builds.
 */
export async function markerPackageSet(
  base: string,
): Promise<{ dir: string; salt: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-marker-set-'));
  const salt = randomUUID();
  const script = [
    'set -e',
    'mkdir -p $out/share/fleet-marker',
    `echo ${salt} > $out/share/fleet-marker/salt`,
  ].join('; ');
  await writeFile(
    join(dir, 'default.nix'),
    [
      '# The base set plus one package never built before (a test salt in its output).',
      'args@{ system ? builtins.currentSystem, ... }:',
      `import ${base} args // {`,
      '  fleetMarker = derivation {',
      '    name = "fleet-marker-1.0";',
      '    inherit system;',
      '    builder = "/bin/sh";',
      '    PATH = "/usr/bin:/bin";',
      `    args = [ "-c" ${JSON.stringify(script)} ];`,
      '  };',
      '}',
      '',
    ].join('\n'),
  );
  return { dir, salt, remove: () => rm(dir, { recursive: true, force: true }) };
}

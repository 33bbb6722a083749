import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const CONTAINER_LIMITS = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** podman as root without a system service: private storage, vfs, no network for `run`. */
export async function podmanSandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-podman-'));
  const base = [
    '--root',
    join(dir, 'root'),
    '--runroot',
    join(dir, 'runroot'),
    '--storage-driver',
    'vfs',
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
    '--runtime',
    'runc',
  ];
  return {
    dir,
    run: (args: string[], timeout = 120_000) =>
      execa('podman', [...base, ...args], { timeout, reject: false }),
    /** `podman run` without a network and with explicit ulimits, which this machine needs. */
    runContainer: (image: string, command: string[]) =>
      execa('podman', [...base, 'run', '--rm', ...CONTAINER_LIMITS, image, ...command], {
        timeout: 120_000,
        reject: false,
      }),
    cleanup: async () => {
      await execa('podman', [...base, 'system', 'reset', '--force'], { reject: false, timeout: 60_000 });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A private containerd (root, state and socket in a temp dir) for `ctr` pulls. */
export async function containerdSandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-containerd-'));
  const socket = join(dir, 'containerd.sock');
  const configFile = join(dir, 'config.toml');
  await writeFile(
    configFile,
    [
      'version = 2',
      `root = "${join(dir, 'root')}"`,
      `state = "${join(dir, 'state')}"`,
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      `  address = "${socket}.debug"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  disable_cgroup = true',
      '',
    ].join('\n'),
  );
  const daemon = execa('containerd', ['--config', configFile], { reject: false, all: true });
  // Wait until the socket answers.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probe = await execa('ctr', ['--address', socket, 'version'], { reject: false, timeout: 5_000 });
    if (probe.exitCode === 0) break;
    if (Date.now() > deadline) {
      daemon.kill('SIGKILL');
      throw new Error(`containerd did not start: ${probe.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dir,
    ctr: (args: string[], timeout = 120_000) =>
      execa('ctr', ['--address', socket, ...args], { timeout, reject: false }),
    cleanup: async () => {
      daemon.kill('SIGTERM');
      await daemon;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

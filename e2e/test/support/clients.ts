import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const CONTAINER_LIMITS = [
  '--network',
  'none',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
];

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

/** Debian's docker.io CLI; `/usr/local/bin/docker` may be an unrelated stray CLI on PATH. */
const DOCKER_CLI = '/usr/bin/docker';

/** Kills a daemon: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopDaemon(daemon: ResultPromise, graceMs: number) {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  daemon.kill('SIGTERM');
  const timer = setTimeout(() => daemon.kill('SIGKILL'), graceMs);
  await daemon;
  clearTimeout(timer);
}

/** Unmounts whatever a daemon left mounted under `dir` (overlay layers, netns, shm), deepest first. */
async function unmountUnder(dir: string) {
  const mounts = (await readFile('/proc/self/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await execa('umount', ['-l', point], { reject: false });
}

async function waitUntil(ready: () => Promise<boolean>, daemon: ResultPromise, what: string, log: string) {
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    const exited = daemon.exitCode !== null || daemon.signalCode !== null;
    if (exited || Date.now() > deadline) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      throw new Error(
        `${what} ${exited ? 'exited' : 'did not become ready in 30 s'}; its log ends:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Docker Engine (Debian's docker.io) as root without touching the host's services: its own
 * containerd and dockerd with every socket, root and state in a temp dir, no iptables or bridge
 * changes, and a private DOCKER_CONFIG (so logins land in this sandbox only). overlay2 first,
 * vfs when this machine's filesystem refuses overlay2. Everything is torn down by `cleanup`,
 * and also when starting fails.
 */
export async function dockerSandbox() {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-docker-'));
  const containerdSocket = join(dir, 'containerd.sock');
  const dockerSocket = join(dir, 'docker.sock');
  const configFile = join(dir, 'containerd.toml');
  const clientConfig = join(dir, 'client');
  await mkdir(clientConfig);
  await writeFile(
    configFile,
    [
      'version = 2',
      `root = "${join(dir, 'containerd-root')}"`,
      `state = "${join(dir, 'containerd-state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${containerdSocket}"`,
      '[ttrpc]',
      `  address = "${containerdSocket}.ttrpc"`,
      '[debug]',
      `  address = "${containerdSocket}.debug"`,
      '',
    ].join('\n'),
  );
  const daemons: ResultPromise[] = [];
  const env = { DOCKER_CONFIG: clientConfig };
  const docker = (args: string[], options: { timeout?: number; input?: string } = {}) =>
    execa(DOCKER_CLI, ['-H', `unix://${dockerSocket}`, ...args], {
      env,
      timeout: options.timeout ?? 120_000,
      reject: false,
      ...(options.input !== undefined && { input: options.input }),
    });
  const cleanup = async () => {
    // dockerd first: it stops its containers through containerd.
    for (const daemon of [...daemons].reverse()) await stopDaemon(daemon, 15_000);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const containerdLog = join(dir, 'containerd.log');
    const containerd = execa('containerd', ['--config', configFile], {
      reject: false,
      stdout: { file: containerdLog },
      stderr: { file: containerdLog },
    });
    daemons.push(containerd);
    await waitUntil(
      async () =>
        (await execa('ctr', ['--address', containerdSocket, 'version'], { reject: false, timeout: 5_000 }))
          .exitCode === 0,
      containerd,
      'containerd',
      containerdLog,
    );

    let storageDriver = '';
    for (const driver of ['overlay2', 'vfs']) {
      const dockerdLog = join(dir, `dockerd-${driver}.log`);
      const dockerd = execa(
        'dockerd',
        [
          '--containerd',
          containerdSocket,
          '--data-root',
          join(dir, 'data'),
          '--exec-root',
          join(dir, 'exec'),
          '--pidfile',
          join(dir, 'dockerd.pid'),
          '-H',
          `unix://${dockerSocket}`,
          '--iptables=false',
          '--ip6tables=false',
          '--bridge=none',
          '--storage-driver',
          driver,
        ],
        { reject: false, stdout: { file: dockerdLog }, stderr: { file: dockerdLog } },
      );
      daemons.push(dockerd);
      try {
        await waitUntil(
          async () => (await docker(['version'], { timeout: 5_000 })).exitCode === 0,
          dockerd,
          `dockerd (${driver})`,
          dockerdLog,
        );
        storageDriver = driver;
        break;
      } catch (error) {
        await stopDaemon(dockerd, 5_000);
        daemons.pop();
        if (driver === 'vfs') throw error;
      }
    }
    return {
      dir,
      storageDriver,
      /** The docker CLI against this sandbox's daemon, never throwing (check `exitCode`). */
      docker,
      /** `docker run` without a network, which this machine needs. */
      runContainer: (image: string, command: string[]) =>
        docker(['run', '--rm', '--network', 'none', image, ...command]),
      cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

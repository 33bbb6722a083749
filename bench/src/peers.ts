import { type ChildProcess, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, hasCommand, run, stopChild, waitForHttp } from './processes.js';

/** Debian packages of the peers, by the command each provides. */
const PEER_PACKAGES = { 'docker-registry': 'docker-registry', nginx: 'nginx' } as const;
export type PeerCommand = keyof typeof PEER_PACKAGES;

/**
 * Makes sure the peers' commands exist: installs missing ones with apt-get (idempotent; the
 * machine runs as root). In smoke mode nothing is installed and missing peers are skipped.
 */
export async function ensurePeers(
  install: boolean,
  log: (line: string) => void,
): Promise<Record<PeerCommand, boolean>> {
  const present = async () => ({
    'docker-registry': await hasCommand('docker-registry'),
    nginx: (await hasCommand('nginx')) || (await hasCommand('/usr/sbin/nginx')),
  });
  let available = await present();
  const missing = (Object.keys(available) as PeerCommand[]).filter((command) => !available[command]);
  if (missing.length > 0 && install) {
    const packages = missing.map((command) => PEER_PACKAGES[command]);
    log(`installing ${packages.join(', ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      await run('apt-get', ['install', '-y', '-qq', ...packages], { env });
    } catch {
      await run('apt-get', ['update', '-qq'], { env });
      await run('apt-get', ['install', '-y', '-qq', ...packages], { env });
    }
    available = await present();
  }
  return available;
}

export interface Peer {
  name: string;
  url: string;
  stop(): Promise<void>;
}

async function startChild(
  command: string,
  args: string[],
  readyUrl: string,
  readyStatus?: number,
): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    await waitForHttp(readyUrl, 20_000, readyStatus);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${command} did not start: ${(error as Error).message}\n${stderr}`);
  }
  return child;
}

/** The reference Go registry (Debian's docker-registry) with filesystem storage on loopback. */
export async function startDockerRegistry(dir: string): Promise<Peer> {
  const port = await freePort();
  // A fresh storage each run: the benchmark pushes its image anew.
  await rm(join(dir, 'storage'), { recursive: true, force: true });
  await mkdir(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'storage')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild('docker-registry', ['serve', config], `${url}/v2/`, 200);
  return { name: 'docker-registry', url, stop: () => stopChild(child) };
}

/** nginx with a private configuration: serves `root` on loopback with sendfile, as a CDN would. */
export async function startNginx(dir: string, root: string): Promise<Peer> {
  const port = await freePort();
  await mkdir(join(dir, 'temp'), { recursive: true });
  const config = join(dir, 'nginx.conf');
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  await writeFile(
    config,
    `daemon off;
master_process on;
user root;
worker_processes auto;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild('nginx', ['-c', config, '-p', dir, '-e', join(dir, 'error.log')], `${url}/`);
  return { name: 'nginx', url, stop: () => stopChild(child, 'SIGQUIT') };
}

/** Uploads one blob into a registry with the distribution API's monolithic upload (POST, then PUT). */
export async function pushBlob(
  registryUrl: string,
  repository: string,
  file: string,
  digest: string,
): Promise<void> {
  const started = await fetch(`${registryUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  await started.arrayBuffer();
  const location = started.headers.get('location');
  if (started.status !== 202 || !location) throw new Error(`blob upload start: HTTP ${started.status}`);
  const target = new URL(location, registryUrl);
  target.searchParams.set('digest', digest);
  const { size } = await stat(file);
  await new Promise<void>((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': size },
      },
      (res) => {
        res.resume();
        res.once('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`blob upload: HTTP ${res.statusCode}`)),
        );
      },
    );
    req.once('error', reject);
    createReadStream(file).pipe(req);
  });
}

/**
 * The floor of any Node server: plain `node:http` in its own process answering every request with
 * one manifest's bytes and headers from memory (no routing, no logging). Started with the
 * same Node flags as our registry.
 */
export async function startPlainNodeManifest(
  dir: string,
  manifest: { bytes: Buffer; mediaType: string; digest: string },
): Promise<Peer> {
  const port = await freePort();
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'manifest.json');
  await writeFile(file, manifest.bytes);
  const source = `
const { createServer } = require('node:http');
const bytes = require('node:fs').readFileSync(${JSON.stringify(file)});
const headers = {
  'Docker-Distribution-API-Version': 'registry/2.0',
  'Content-Type': ${JSON.stringify(manifest.mediaType)},
  'Content-Length': String(bytes.length),
  'Docker-Content-Digest': ${JSON.stringify(manifest.digest)},
  ETag: ${JSON.stringify(`"${manifest.digest}"`)},
};
createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}).listen(${port}, '127.0.0.1');
`;
  const url = `http://127.0.0.1:${port}`;
  // The registry's own Node flags (scripts/start.sh), so the two differ only in their code.
  const child = await startChild(process.execPath, ['--max-semi-space-size=4', '-e', source], `${url}/v2/`);
  return { name: 'node:http', url, stop: () => stopChild(child) };
}

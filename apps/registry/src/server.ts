import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImageBuilder } from '@nixery/builder';
import { builderOptions, type Config, type StorageConfig } from '@nixery/config';
import { checkPackageSet } from '@nixery/nix';
import { type PackageSource, resolveSourceForTag } from '@nixery/source';
import { createStorage, type Storage } from '@nixery/storage';
import { type Logger, pino } from 'pino';
import { createRegistryApp } from './app.js';
import { createAccessControl } from './auth.js';
import { builderReports } from './image-reports.js';
import { cleanLeftoversAtStart, REQUEST_SLACK_SECONDS } from './leftovers.js';
import { RegistryMetrics } from './metrics.js';
import { loadPopularity } from './popularity.js';
import { RecentErrors } from './recent-errors.js';
import { RecentImages } from './recent-images.js';
import type { ImageService } from './services.js';
import { VERSION } from './version.js';

export interface StartOptions {
  config: Config;
  /** Interface to listen on; the default listens on all interfaces, as a registry does. */
  host?: string;
  logger?: Logger;
  /** Overrides `config.unpinnedTtlSeconds`, in milliseconds (tests use 0). */
  unpinnedTtlMs?: number;
  /** Overrides the storage built from the configuration (tests share one between servers). */
  storage?: Storage;
}

export interface RunningRegistry {
  url: string;
  port: number;
  server: Server;
  builder: ImageBuilder;
  metrics: RegistryMetrics;
  close(): Promise<void>;
}

/** Composes storage, builder and app from a validated configuration and starts listening. */
export async function startRegistry(options: StartOptions): Promise<RunningRegistry> {
  const { config } = options;
  const logger = options.logger ?? pino({ name: 'nixery' });
  await refuseUnusablePackageSet(config, logger);
  const storage = options.storage ?? createStorage(config.storage);
  const popularity = await loadPopularity(config.popularityUrl);
  // A build may spend the evaluation limit and then NIX_TIMEOUT in Nix before it writes layers.
  const nixTimeoutSeconds = config.nixTimeoutSeconds + config.evaluationTimeoutSeconds;
  await cleanLeftoversAtStart({ storage, gcRootsDir: config.gcRootsDir, nixTimeoutSeconds, logger });
  const metrics = new RegistryMetrics();
  const recentErrors = new RecentErrors();

  const builder = new ImageBuilder({
    ...builderOptions(config),
    ...(options.unpinnedTtlMs !== undefined ? { unpinnedTtlMs: options.unpinnedTtlMs } : {}),
    storage,
    popularity,
    onEvent: (event) => {
      metrics.observe(event);
      switch (event.type) {
        case 'build-start':
          logger.info({ image: event.image }, 'build started');
          break;
        case 'build-end':
          logger.info({ image: event.image, timings: event.timings }, 'build finished');
          break;
        case 'build-failed':
          logger.warn(
            { image: event.image, reason: event.error.reason, ms: event.ms, err: event.error.message },
            'build failed',
          );
          recentErrors.add({
            at: new Date().toISOString(),
            image: event.image,
            reason: event.error.reason,
            message: event.error.message,
          });
          break;
        case 'nix-log':
          logger.debug({ image: event.image, nix: event.line }, 'nix');
          break;
        default:
          break;
      }
    },
  });

  const accessControl = config.auth ? createAccessControl(config.auth) : null;
  if (config.auth) {
    logger.info({ file: config.auth.file, users: config.auth.users.size }, 'access control on (Basic auth)');
  }

  const recentImages = new RecentImages();
  const images = notingRecentImages(builder, recentImages);
  const app = createRegistryApp({
    images,
    blobs: storage,
    metrics,
    logger,
    recentErrors,
    sourceDescription: describeSource(config.source, config.bundledSource),
    storageDescription: storage.description,
    version: VERSION,
    explorer: {
      reports: builderReports(
        { getImage: images.getImage, planImage: (name, tag, run) => builder.planImage(name, tag, run) },
        { strategy: config.layerStrategy, budget: config.layerBudget },
      ),
      recentImages,
    },
    ...(accessControl ? { authorize: accessControl.authorize } : {}),
  });

  // Slow clients must not hold sockets for long: headers within 20 s, checked every second (Node's
  // default check runs every 30 s). A manifest request may legitimately wait for a whole build.
  const server = createServer(
    {
      headersTimeout: 20_000,
      requestTimeout:
        (config.nixTimeoutSeconds + config.evaluationTimeoutSeconds + REQUEST_SLACK_SECONDS) * 1000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  server.listen(config.port, options.host ?? '0.0.0.0');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });

  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  // Operators find the host paths here; the public front page names the kinds only.
  logger.info({ url, source: config.source, storage: config.storage }, 'registry listening');
  return {
    url,
    port,
    server,
    builder,
    metrics,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }).finally(() => accessControl?.close()),
  };
}

/** The builder as the routes see it, noting every image it answers for in the explorer's index. */
function notingRecentImages(
  builder: ImageBuilder,
  recent: RecentImages,
): ImageService & Pick<ImageBuilder, 'getImage'> {
  return {
    async getImage(name, tag, options) {
      const record = await builder.getImage(name, tag, options);
      recent.note({ name: record.name, tag, arch: record.arch, layers: record.layers.map((l) => l.digest) });
      return record;
    },
    getManifest: (digest) => builder.getManifest(digest),
    getReferrers: (digest) => builder.getReferrers(digest),
  };
}

/** Thrown by startRegistry when the installed Nix cannot evaluate the configured package set. */
export class PackageSetUnusableError extends Error {
  override readonly name = 'PackageSetUnusableError';
}

/**
 * The start-up check: a package set that states a newer minimum Nix would answer every pull with
 * a 500, so the server refuses to start. A check that cannot run (no network for a channel) only
 * warns: pulls then report what goes wrong.
 */
async function refuseUnusablePackageSet(config: Config, logger: Logger): Promise<void> {
  if (config.bundledSource) return;
  // 'latest' is every source kind's default: the path itself, a git default branch, the channel.
  const check = await checkPackageSet(resolveSourceForTag(config.source, 'latest'));
  if (check.ok) return;
  if (check.kind === 'nix-too-old') throw new PackageSetUnusableError(check.message);
  logger.warn({ err: check.message }, 'package set check failed');
}

/**
 * The package source as the public front page shows it: its kind, never a host path or the user
 * info of a repository URL.
 */
export function describeSource(source: PackageSource, bundled: boolean): string {
  switch (source.kind) {
    case 'path':
      return bundled ? 'the bundled offline demo package set' : 'a local package set';
    case 'channel':
      return `nixpkgs ${source.channel}`;
    case 'git':
      return describeGitRepository(source.url);
  }
}

/** A remote repository by scheme, host and path; anything else (a local path, file:, scp-like) by kind. */
function describeGitRepository(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'a git repository';
  }
  if (!['http:', 'https:', 'git:', 'ssh:'].includes(parsed.protocol)) return 'a git repository';
  return `git repository ${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * The storage as the front page shows it: a bucket by name, a host folder by kind only. The
 * storage's own description is the one home of that wording.
 */
export function describeStorage(storage: StorageConfig): string {
  return createStorage(storage).description;
}

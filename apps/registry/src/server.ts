import { createServer, type Server } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageBuilder } from '@nixery/builder';
import { builderOptions, type Config, type StorageConfig } from '@nixery/config';
import { type GcReport, ServedRecorder, startPeriodicGc } from '@nixery/gc';
import { checkPackageSet } from '@nixery/nix';
import { type PackageSource, platformName, resolveSourceForTag } from '@nixery/source';
import { classifyObjectKey, createStorage, type Storage } from '@nixery/storage';
import { type Logger, pino } from 'pino';
import { AdmissionGate, AdmissionRefusedError } from './admission.js';
import { createRegistryHandler } from './app.js';
import { createAccessControl } from './auth.js';
import { BuildBoard } from './build-board.js';
import { buildLogger } from './build-log.js';
import type { BuildStreamLimits } from './builds.js';
import { builderReports } from './image-reports.js';
import { cleanLeftoversAtStart, REQUEST_SLACK_SECONDS } from './leftovers.js';
import { RegistryMetrics } from './metrics.js';
import { loadPopularity } from './popularity.js';
import { RecentErrors } from './recent-errors.js';
import { RecentImages } from './recent-images.js';
import type { ImageService } from './services.js';
import { VERSION } from './version.js';
import { WarmManifestRoute } from './warm-manifests.js';

export interface StartOptions {
  config: Config;
  /** Interface to listen on; the default listens on all interfaces, as a registry does. */
  host?: string;
  logger?: Logger;
  /** Overrides `config.unpinnedTtlSeconds`, in milliseconds (tests use 0). */
  unpinnedTtlMs?: number;
  /** Overrides the storage built from the configuration (tests share one between servers). */
  storage?: Storage;
  /** Limits of the build event streams (tests shorten the heartbeat). */
  buildStreams?: BuildStreamLimits;
  /** The clock of last-served records and periodic gc (tests move it); default the real one. */
  now?: () => Date;
}

export interface RunningRegistry {
  url: string;
  port: number;
  server: Server;
  builder: ImageBuilder;
  metrics: RegistryMetrics;
  board: BuildBoard;
  admission: AdmissionGate;
  /** Closes at once: every connection is cut, builds in flight are left to their fate. */
  close(): Promise<void>;
  /**
   * The graceful stop (SIGTERM): stops listening, says not ready, refuses new builds (503), lets
   * the builds in flight finish for up to `timeoutMs` (default NIXERY_SHUTDOWN_TIMEOUT), then
   * stops the rest and closes. Resolves when it is done; calling it again returns the same.
   */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
}

/** After the deadline, how long stopped builds may take to unwind (Nix gets SIGTERM, then SIGKILL after 3 s). */
const UNWIND_MS = 15_000;
/** After the builds, how long responses still being sent may take before their connections are cut. */
const LINGER_MS = 10_000;

/** Composes storage, builder and app from a validated configuration and starts listening. */
export async function startRegistry(options: StartOptions): Promise<RunningRegistry> {
  const { config } = options;
  // Asynchronous log writes: synchronous ones to a slow pipe blocked the event loop for seconds
  // under a build storm (pino flushes what is buffered when the process exits).
  const logger = options.logger ?? pino({ name: 'nixery' }, pino.destination({ sync: false }));
  await refuseUnusablePackageSet(config, logger);
  const storage = options.storage ?? createStorage(config.storage);
  const popularity = await loadPopularity(config.popularityUrl);
  // A build may spend the evaluation limit and then NIX_TIMEOUT in Nix before it writes layers.
  const nixTimeoutSeconds = config.nixTimeoutSeconds + config.evaluationTimeoutSeconds;
  await cleanLeftoversAtStart({ storage, gcRootsDir: config.gcRootsDir, nixTimeoutSeconds, logger });
  const metrics = new RegistryMetrics();
  const recentErrors = new RecentErrors();
  const admission = new AdmissionGate({
    maxBuilds: config.maxBuilds,
    queueLimit: config.buildQueue,
    onChange: ({ running, queued }) => {
      metrics.buildsRunning.set(running);
      metrics.buildsQueued.set(queued);
    },
    onRefused: (reason) => metrics.buildsRefused.inc({ reason }),
  });
  const board = new BuildBoard();

  const builder = new ImageBuilder({
    ...builderOptions(config),
    ...(options.unpinnedTtlMs !== undefined ? { unpinnedTtlMs: options.unpinnedTtlMs } : {}),
    storage,
    popularity,
    admit: (signal, start) => admission.run(signal, start),
    onEvent: (event) => {
      metrics.observe(event);
      if (event.type === 'build-failed') {
        recentErrors.add({
          at: new Date().toISOString(),
          image: event.image,
          reason: event.error.reason,
          message: event.error.message,
        });
      } else if (event.type === 'platform-omitted') {
        logger.warn(
          { image: event.image, platform: event.platform, reason: event.reason, err: event.message },
          'platform left out of the image index',
        );
        recentErrors.add({
          at: new Date().toISOString(),
          image: event.image,
          reason: 'platform-omitted',
          message: `${event.platform} left out of the image index: ${event.message}`,
        });
      }
    },
    // Each build on the board, and in the log under its id, image and first request id.
    observeBuild: (info) => {
      const { id, observer } = board.start(info);
      return buildLogger(logger, id, info, observer);
    },
  });

  // When each manifest was last served (at most a write a day per manifest), for gc on any instance.
  const served = new ServedRecorder(storage, {
    ...(options.now ? { now: options.now } : {}),
    onError: (error, digest) =>
      logger.warn({ digest, err: (error as Error).message }, 'recording a served manifest failed'),
  });
  // The warm path's memory: this instance's gc makes it forget the manifests it deleted.
  const warm = new WarmManifestRoute();
  const stopGc =
    config.gc.intervalMs === null
      ? null
      : startServerGc(storage, config, { metrics, logger, warm }, options.now);

  const accessControl = config.auth ? createAccessControl(config.auth) : null;
  if (config.auth) {
    logger.info({ file: config.auth.file, users: config.auth.users.size }, 'access control on (Basic auth)');
  }

  const recentImages = new RecentImages();
  const images = notingRecentImages(builder, recentImages);
  const handler = createRegistryHandler({
    warmManifests: warm,
    images,
    blobs: storage,
    metrics,
    logger,
    recentErrors,
    sourceDescription: describeSource(config.source, config.bundledSource),
    storageDescription: storage.description,
    version: VERSION,
    board,
    ...(options.buildStreams ? { buildStreams: options.buildStreams } : {}),
    onManifestServed: (digest) => served.record(digest),
    platforms: config.platforms.map(platformName),
    isDraining: () => admission.state.draining,
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
    handler,
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
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    accessControl?.close();
    metrics.close();
    void stopGc?.();
  };
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      // After a shutdown the server no longer listens; closing again is a no-op, not an error.
      if (!server.listening) resolve();
      else server.close((error) => (error ? reject(error) : resolve()));
    }).finally(release);
  let stopping: Promise<void> | null = null;
  const shutdown = async (timeoutMs: number) => {
    const started = performance.now();
    // net.Server's close stops listening and waits for the open connections; http.Server's
    // would also cut the idle keep-alive ones, which may still bring a request (answered with
    // `Connection: close` while draining; see app.ts) or a readiness probe.
    const connectionsEnded = new Promise<void>((resolve) =>
      NetServer.prototype.close.call(server, () => resolve()),
    );
    const drained = admission.drain();
    logger.info(
      { running: admission.state.running, timeoutMs },
      'shutting down: no new builds, waiting for builds in flight',
    );
    const inTime = await Promise.race([drained.then(() => true), sleep(timeoutMs, false, { ref: false })]);
    if (!inTime) {
      logger.warn(
        { running: admission.state.running },
        'shutdown deadline passed: stopping the builds in flight',
      );
      admission.abortAll(
        new AdmissionRefusedError(
          'draining',
          'the registry shut down before this build finished; try again',
          1,
        ),
      );
      await Promise.race([drained, sleep(UNWIND_MS, undefined, { ref: false })]);
    }
    server.closeIdleConnections();
    await Promise.race([connectionsEnded, sleep(LINGER_MS, undefined, { ref: false })]);
    server.closeAllConnections();
    release();
    logger.info({ ms: Math.round(performance.now() - started), inTime }, 'shut down');
  };
  return {
    url,
    port,
    server,
    builder,
    metrics,
    board,
    admission,
    close,
    shutdown: (options = {}) => {
      stopping ??= shutdown(options.timeoutMs ?? config.shutdownTimeoutSeconds * 1000);
      return stopping;
    },
  };
}

/**
 * NIXERY_GC_INTERVAL: garbage collection in this process, one run at a time (the next is due an
 * interval after the last ended), each logged and counted in /metrics.
 */
function startServerGc(
  storage: Storage,
  config: Config,
  { metrics, logger, warm }: { metrics: RegistryMetrics; logger: Logger; warm: WarmManifestRoute },
  now: (() => Date) | undefined,
): () => Promise<void> {
  const { intervalMs, retentionMs, graceMs } = config.gc;
  logger.info({ intervalMs, retentionMs, graceMs }, 'periodic garbage collection on');
  return startPeriodicGc(storage, {
    intervalMs: intervalMs as number,
    retentionMs,
    graceMs,
    ...(now ? { now } : {}),
    onReport: (report, ms) => {
      metrics.observeGc(report);
      warm.forgetManifests(deletedManifests(report));
      logger.info(
        {
          ms,
          images: report.images,
          blobsDeleted: report.blobs.deleted,
          bytesDeleted: report.blobs.deletedBytes,
          objectsDeleted: report.objectsDeleted,
          rescued: report.rescued,
        },
        'garbage collection finished',
      );
    },
    onError: (error) => {
      metrics.gcRuns.inc({ result: 'failed' });
      logger.error({ err: (error as Error).message }, 'garbage collection failed');
    },
  });
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
    async getImageIndex(name, tag, options) {
      return builder.getImageIndex(name, tag, options);
    },
    forgetImage: (name, tag) => builder.forgetImage(name, tag),
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

/** The digests of the manifests a gc run deleted. */
function deletedManifests(report: GcReport): string[] {
  return report.deleted.objects.flatMap((key) => {
    const kind = classifyObjectKey(key);
    return kind.kind === 'manifest' ? [kind.digest] : [];
  });
}

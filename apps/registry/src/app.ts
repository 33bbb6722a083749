import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parseImageName } from '@nixery/source';
import { isStorageUnavailable } from '@nixery/storage';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactCredentials } from './auth-redact.js';
import { serveBlob } from './blobs.js';
import type { BuildBoard } from './build-board.js';
import { BuildRoutes, type BuildStreamLimits } from './builds.js';
import { RegistryError, registryErrorFrom, sendRegistryError } from './errors.js';
import { explorerRouter } from './explorer-routes.js';
import { renderFrontPage } from './front-page.js';
import type { ImageReports } from './image-reports.js';
import { serveManifest } from './manifests.js';
import type { RegistryMetrics } from './metrics.js';
import type { RecentErrors } from './recent-errors.js';
import type { RecentImages } from './recent-images.js';
import { serveReferrers } from './referrers.js';
import { refuseRequestBodies } from './request-body.js';
import { splitRequestTarget } from './request-target.js';
import { parseRegistryPath, type RegistryRoute } from './routing.js';
import type { BlobStore, ImageService } from './services.js';
import { type WarmHit, WarmManifestRoute } from './warm-manifests.js';

export interface RegistryAppDeps {
  images: ImageService;
  blobs: BlobStore;
  metrics: RegistryMetrics;
  logger: Logger;
  recentErrors: RecentErrors;
  sourceDescription: string;
  storageDescription: string;
  version: string;
  /** The layer explorer's reports and index of recent images; without them no explorer is served. */
  explorer?: { reports: ImageReports; recentImages: RecentImages };
  /** True once a graceful shutdown began: /readyz says 503 and every response closes its connection. */
  isDraining?: () => boolean;
  /** The platforms served (`linux/arm64/v8`, …), for the front page; default: not shown. */
  platforms?: readonly string[];
  /** Builds in flight and recently finished, for `/builds` (none: the routes list nothing). */
  board?: BuildBoard;
  buildStreams?: BuildStreamLimits;
  /** Called with the digest of every manifest served (the server records it for garbage collection). */
  onManifestServed?: (digest: string) => void;
  /** Optional access check run before every `/v2/`, `/builds` and `/metrics` request (see auth.ts). */
  authorize?: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => RegistryError | null | Promise<RegistryError | null>;
  /** Bytes of recently served manifests kept in memory for the warm path (default 32 MiB). */
  warmManifestBytes?: number;
  /** The warm path's memory, when the caller must reach it (gc forgets what it deleted); default a new one. */
  warmManifests?: WarmManifestRoute;
}

type RequestLog = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The registry's request handler: a warm manifest (one this process answered recently and may
 * still answer the same way) is sent straight from memory, with the same request log, request
 * id, metrics and access check as every other request; everything else goes to the Express app.
 */
export function createRegistryHandler(deps: RegistryAppDeps): RequestListener {
  const warm = deps.warmManifests ?? new WarmManifestRoute(deps.warmManifestBytes);
  const requestLog = createRequestLog(deps.logger);
  const app = buildApp(deps, requestLog, warm);
  return (req, res) => {
    const hit = warm.lookup(req);
    if (hit === undefined) app(req, res);
    else void serveWarm(hit, req, res, deps, requestLog);
  };
}

/** The registry as an Express app (no warm path): the `/v2/` protocol, a front page, health and metrics. */
export function createRegistryApp(deps: RegistryAppDeps): express.Express {
  return buildApp(deps, createRequestLog(deps.logger), null);
}

/** pino-http: one line per request when it finishes, with its id (also sent as X-Request-Id). */
function createRequestLog(logger: Logger): RequestLog {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: { req: redactCredentials },
  });
}

async function serveWarm(
  hit: WarmHit,
  req: IncomingMessage,
  res: ServerResponse,
  deps: RegistryAppDeps,
  requestLog: RequestLog,
): Promise<void> {
  requestLog(req, res);
  // Draining: each keep-alive connection takes its last request, warm or not.
  if (deps.isDraining?.()) res.setHeader('Connection', 'close');
  const method = req.method as string;
  res.on('finish', () => {
    deps.metrics.requests.inc({ route: 'manifest', method, status: String(res.statusCode) });
  });
  try {
    if (deps.authorize) {
      const denied = await deps.authorize(req, res);
      if (denied) {
        res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
        sendRegistryError(res, denied);
        return;
      }
    }
    if (hit.byTag) deps.metrics.manifestCache.inc({ result: 'hit' });
    res.writeHead(200, hit.served.headers);
    res.end(method === 'HEAD' ? undefined : hit.served.bytes);
    // Served from memory is still served: garbage collection keeps what clients pull.
    deps.onManifestServed?.(String(hit.served.headers['Docker-Content-Digest']));
  } catch (error) {
    (req as { log?: Logger }).log?.error({ err: error }, 'unexpected error');
    sendRegistryError(
      res,
      new RegistryError('internal', 'internal error while serving this request; see the server log', {
        requestId: String((req as { id?: unknown }).id ?? ''),
      }),
    );
  }
}

function buildApp(
  deps: RegistryAppDeps,
  requestLog: RequestLog,
  warm: WarmManifestRoute | null,
): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);

  app.use((req, res, next) => {
    requestLog(req, res);
    next();
  });
  app.use(refuseRequestBodies);
  app.use((_req, res, next) => {
    // Draining: each keep-alive connection takes its last request.
    if (deps.isDraining?.()) res.setHeader('Connection', 'close');
    next();
  });

  app.get('/', (req, res) => {
    res.type('html').send(
      renderFrontPage({
        host: req.get('host') ?? 'localhost',
        sourceDescription: deps.sourceDescription,
        storageDescription: deps.storageDescription,
        version: deps.version,
        buildsLink: deps.board !== undefined,
        ...(deps.platforms ? { platforms: deps.platforms } : {}),
        // A private instance's failures name its images: keep them off the public page.
        recentErrors: deps.authorize ? null : deps.recentErrors.list(),
      }),
    );
  });
  // Liveness: the process answers. Readiness: it also takes new pulls (not while draining).
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const draining = deps.isDraining?.() ?? false;
    res.status(draining ? 503 : 200).json({ status: draining ? 'draining' : 'ready' });
  });
  app.get('/metrics', async (req, res) => {
    const denied = await deps.authorize?.(req, res);
    if (denied) return sendRegistryError(res, denied);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  if (deps.explorer) {
    app.use(explorerRouter({ ...deps.explorer, ...(deps.authorize ? { authorize: deps.authorize } : {}) }));
  }
  if (deps.board) {
    const builds = new BuildRoutes(deps.board, deps.buildStreams);
    // Private instances protect the board as they protect /v2/: it names images and shows logs.
    const guarded = (route: (req: Request, res: Response) => void) => async (req: Request, res: Response) => {
      try {
        const denied = await deps.authorize?.(req, res);
        if (denied) throw denied;
        route(req, res);
      } catch (error) {
        sendRegistryError(res, asRegistryError(error, { kind: 'unknown' }, req));
      }
    };
    app.get(
      '/builds',
      guarded((req, res) => builds.list(req, res)),
    );
    app.get(
      '/builds/:id',
      guarded((req, res) => builds.one(req, res, String(req.params.id))),
    );
    app.get(
      '/builds/:id/events',
      guarded((req, res) => builds.events(req, res, String(req.params.id))),
    );
  }

  app.use('/v2', async (req, res) => {
    // The raw target keeps percent-encoding; an absolute-form target is reduced to its path.
    const { path } = splitRequestTarget(req.originalUrl);
    const route = parseRegistryPath(path);
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    res.on('finish', () => {
      deps.metrics.requests.inc({ route: route.kind, method: req.method, status: String(res.statusCode) });
    });
    try {
      const denied = await deps.authorize?.(req, res);
      if (denied) throw denied;
      await dispatch(route, path, req, res, deps, warm);
    } catch (error) {
      sendRegistryError(res, asRegistryError(error, route, req));
    }
  });

  app.use((_req, res) => {
    sendRegistryError(res, new RegistryError('no-endpoint', 'not a registry path'));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendRegistryError(res, asRegistryError(error, { kind: 'unknown' }, req));
  });
  return app;
}

async function dispatch(
  route: RegistryRoute,
  path: string,
  req: Request,
  res: Response,
  deps: RegistryAppDeps,
  warm: WarmManifestRoute | null,
): Promise<void> {
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  // Every route that carries a name checks it the same way, whatever else it is asked.
  if ('name' in route) requireValidName(route.name);
  switch (route.kind) {
    case 'base':
      if (!readOnly) throw unsupported(req, path);
      res.status(200).json({});
      return;
    case 'manifest':
      if (!readOnly) throw unsupported(req, path);
      await serveManifest(
        deps.images,
        req,
        res,
        route.name,
        route.reference,
        warm ?? undefined,
        deps.onManifestServed,
      );
      return;
    case 'blob':
      if (!readOnly) throw unsupported(req, path);
      await serveBlob(deps.blobs, deps.metrics, req, res, route.digest);
      return;
    case 'referrers':
      if (!readOnly) throw unsupported(req, path);
      await serveReferrers(deps.images, req, res, route.digest);
      return;
    case 'tags':
      if (!readOnly) throw unsupported(req, path);
      serveTags(req, res, route.name);
      return;
    case 'blob-upload':
    case 'catalog':
      throw unsupported(req, path);
    case 'unknown':
      throw new RegistryError('no-endpoint', `no registry endpoint at ${path.slice(0, 200)}`);
  }
}

/**
 * Every valid image name exists on demand, so the only tag worth listing is `latest` (clients
 * such as `skopeo inspect` ask for the list before anything else).
 */
function serveTags(req: Request, res: Response, name: string): void {
  const body = JSON.stringify({ name, tags: ['latest'] });
  res.status(200).type('application/json').setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The same invalid-name failure the builder gives for a manifest by tag. */
function requireValidName(name: string): void {
  try {
    parseImageName(name);
  } catch (error) {
    const failure = registryErrorFrom(error);
    if (!failure) throw error;
    throw new RegistryError(failure.reason, failure.message, { name });
  }
}

function unsupported(req: Request, path: string): RegistryError {
  return new RegistryError(
    'method-not-offered',
    `${req.method} ${path.slice(0, 200)} is not offered: this registry builds images on demand and is read-only`,
  );
}

/**
 * Any failure as the client sees it. A domain error keeps its reason; anything else is an
 * internal error, logged in full and answered without its details.
 */
function asRegistryError(error: unknown, route: RegistryRoute, req: Request): RegistryError {
  const known = registryErrorFrom(error);
  if (known) {
    if (known.status >= 500 && known.cause !== undefined) req.log?.error({ err: known.cause }, known.message);
    return known;
  }
  if (isStorageUnavailable(error)) {
    req.log?.error({ err: error }, 'storage unavailable');
    return new RegistryError(
      route.kind === 'blob' ? 'blob-unavailable' : 'storage-unavailable',
      'storage is unavailable; try again shortly',
      { requestId: String(req.id ?? '') },
    );
  }
  req.log?.error({ err: error }, 'unexpected error');
  return new RegistryError(
    route.kind === 'blob' ? 'blob-internal' : 'internal',
    'internal error while serving this request; see the server log',
    { requestId: String(req.id ?? '') },
  );
}

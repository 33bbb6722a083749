import { randomUUID } from 'node:crypto';
import { parseImageName } from '@nixery/source';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactCredentials } from './auth-redact.js';
import { serveBlob } from './blobs.js';
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
  /** Optional access check run before every `/v2/`, `/metrics` and explorer request (see auth.ts). */
  authorize?: (req: Request, res: Response) => RegistryError | null | Promise<RegistryError | null>;
}

/** The registry as an Express app: the `/v2/` protocol, a front page, health and metrics. */
export function createRegistryApp(deps: RegistryAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      serializers: { req: redactCredentials },
    }),
  );
  app.use(refuseRequestBodies);

  app.get('/', (req, res) => {
    res.type('html').send(
      renderFrontPage({
        host: req.get('host') ?? 'localhost',
        sourceDescription: deps.sourceDescription,
        storageDescription: deps.storageDescription,
        version: deps.version,
        // A private instance's failures name its images: keep them off the public page.
        recentErrors: deps.authorize ? null : deps.recentErrors.list(),
      }),
    );
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (req, res) => {
    const denied = await deps.authorize?.(req, res);
    if (denied) return sendRegistryError(res, denied);
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  if (deps.explorer) {
    app.use(explorerRouter({ ...deps.explorer, ...(deps.authorize ? { authorize: deps.authorize } : {}) }));
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
      await dispatch(route, path, req, res, deps);
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
      await serveManifest(deps.images, req, res, route.name, route.reference);
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
  req.log?.error({ err: error }, 'unexpected error');
  return new RegistryError(
    route.kind === 'blob' ? 'blob-internal' : 'internal',
    'internal error while serving this request; see the server log',
    { requestId: String(req.id ?? '') },
  );
}

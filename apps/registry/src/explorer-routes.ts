import {
  EXPLORER_ASSETS_BASE,
  EXPLORER_ASSETS_DIR,
  explorerPage,
  ReportMismatchError,
} from '@nixery/explorer';
import { parseImageName } from '@nixery/source';
import express, { type Request, type Response } from 'express';
import { RegistryError, registryErrorFrom, sendRegistryError } from './errors.js';
import type { ImageReports } from './image-reports.js';
import type { RecentImages } from './recent-images.js';
import { splitRequestTarget } from './request-target.js';

export interface ExplorerDeps {
  reports: ImageReports;
  recentImages: RecentImages;
  /** The access check of `/v2/`: a private instance protects the explorer and its API alike. */
  authorize?: (req: Request, res: Response) => RegistryError | null | Promise<RegistryError | null>;
}

const PLATFORMS: Record<string, 'amd64' | 'arm64'> = { 'linux/amd64': 'amd64', 'linux/arm64': 'arm64' };

/**
 * The layer explorer: its page at `/explore` and `/explore/<image name>`, the built front end
 * under `/explorer-assets/`, and the JSON API `GET /api/images` (recent images) and
 * `GET /api/images/<image name>[?tag=…&platform=linux/arm64]` (an image's report, building it
 * as a pull would).
 */
export function explorerRouter(deps: ExplorerDeps): express.Router {
  const router = express.Router();
  const guard = async (req: Request, res: Response, next: () => void) => {
    try {
      const denied = await deps.authorize?.(req, res);
      if (denied) return sendRegistryError(res, denied);
      next();
    } catch (error) {
      sendRegistryError(res, registryErrorFrom(error) ?? internal(req, error));
    }
  };
  router.use(['/explore', EXPLORER_ASSETS_BASE, '/api'], guard);

  router.use(
    EXPLORER_ASSETS_BASE,
    express.static(EXPLORER_ASSETS_DIR, {
      index: false,
      fallthrough: true,
      maxAge: '5m',
      dotfiles: 'ignore',
    }),
  );
  router.get('/explore', (req, res, next) => {
    const packages = req.query.packages;
    // The front page's form: its packages as an image name.
    if (typeof packages === 'string' && packages.trim() !== '') {
      const name = packages
        .trim()
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(encodeURIComponent)
        .join('/');
      res.redirect(303, `/explore/${name}`);
      return;
    }
    sendPage(res).catch(next);
  });
  router.get('/explore/*rest', (_req, res, next) => {
    sendPage(res).catch(next);
  });

  router.get('/api/images', (_req, res) => {
    const images = deps.recentImages.list().map(({ name, tag, arch, layers, at }) => ({
      name,
      tag,
      arch,
      layers: layers.length,
      at,
    }));
    res.json({ images });
  });
  router.get('/api/images/*rest', async (req, res) => {
    try {
      const { name, tag } = imageOfRequest(req);
      const gone = new AbortController();
      const onClose = () => {
        if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
      };
      res.once('close', onClose);
      let report: Awaited<ReturnType<ImageReports['report']>>;
      try {
        report = await deps.reports.report(name, tag, { signal: gone.signal });
      } finally {
        res.off('close', onClose);
      }
      if (gone.signal.aborted) return;
      const self = { name: report.name, tag: report.tag };
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        ...report,
        layers: report.layers.map((layer) => ({
          ...layer,
          sharedWith: layer.digest ? deps.recentImages.sharing(layer.digest, self) : [],
        })),
      });
    } catch (error) {
      if (error instanceof ReportMismatchError) {
        // The package set moved on between the build and the plan: the next request sees one state.
        sendRegistryError(
          res,
          new RegistryError('internal', `the image changed while it was read (${error.message}); ask again`),
        );
        return;
      }
      sendRegistryError(res, registryErrorFrom(error) ?? internal(req, error));
    }
  });
  router.all('/api/*rest', (req, res) => {
    const path = splitRequestTarget(req.originalUrl).path.slice(0, 200);
    sendRegistryError(
      res,
      req.method === 'GET' || req.method === 'HEAD'
        ? new RegistryError('no-endpoint', `no explorer endpoint at ${path}`)
        : new RegistryError(
            'method-not-offered',
            `${req.method} ${path} is not offered: the explorer's API only reads`,
          ),
    );
  });
  return router;
}

async function sendPage(res: Response): Promise<void> {
  res.setHeader('Cache-Control', 'no-cache');
  res.type('html').send(await explorerPage());
}

/** The name from the raw path (percent-encoding kept, so `%2f` is never a separator), checked as a pull checks it. */
function imageOfRequest(req: Request): { name: string; tag: string } {
  const { path } = splitRequestTarget(req.originalUrl);
  let name = path.replace(/^\/api\/images\//, '').replace(/\/+$/, '');
  const tag = single(req, 'tag') ?? 'latest';
  const platform = single(req, 'platform');
  if (platform !== undefined) {
    const arch = PLATFORMS[platform];
    if (!arch) {
      throw new RegistryError(
        'unsupported-system',
        `unsupported platform ${JSON.stringify(platform.slice(0, 40))}: linux/amd64 or linux/arm64`,
        { platform: platform.slice(0, 40) },
      );
    }
    const first = name.split('/')[0];
    if (arch === 'arm64' && first !== 'arm64') name = `arm64/${name}`;
    if (arch === 'amd64' && first === 'arm64') {
      throw new RegistryError('invalid-name', 'the name asks for arm64 and the platform for linux/amd64', {
        name,
        platform,
      });
    }
  }
  try {
    parseImageName(name);
  } catch (error) {
    const failure = registryErrorFrom(error);
    if (!failure) throw error;
    throw new RegistryError(failure.reason, failure.message, { name: name.slice(0, 300) });
  }
  return { name, tag };
}

function single(req: Request, key: string): string | undefined {
  const value = req.query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RegistryError('invalid-tag', `give ?${key}= once`);
  return value;
}

function internal(req: Request, error: unknown): RegistryError {
  req.log?.error({ err: error }, 'unexpected error');
  return new RegistryError('internal', 'internal error while serving this request; see the server log', {
    requestId: String(req.id ?? ''),
  });
}

import type { Request, Response } from 'express';
import type { BoardEvent, BuildBoard } from './build-board.js';
import { renderBuildListPage, renderBuildPage } from './build-page.js';
import { RegistryError } from './errors.js';

/**
 * The build-progress routes: `GET /builds` (the board as JSON), `GET /builds/<id>` (one build as
 * JSON, or a live page for browsers) and `GET /builds/<id>/events` (server-sent events).
 */
export interface BuildStreamLimits {
  /** Comment lines sent this often keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** A client with more than this many bytes unsent is too slow and is closed (default 256 KiB). */
  maxBufferedBytes?: number;
  /** Event streams open at once, over all builds; past it 429 (default 256). */
  maxStreams?: number;
}

const DEFAULT_LIMITS = { heartbeatMs: 15_000, maxBufferedBytes: 256 * 1024, maxStreams: 256 } as const;
const BUILD_ID = /^[0-9a-f]{12}$/;

export class BuildRoutes {
  private readonly limits: Required<BuildStreamLimits>;
  private open = 0;

  constructor(
    private readonly board: BuildBoard,
    limits: BuildStreamLimits = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  list(req: Request, res: Response): void {
    const builds = this.board.list();
    res.setHeader('Cache-Control', 'no-store');
    if (prefersHtml(req)) {
      res.type('html').send(renderBuildListPage(builds));
      return;
    }
    res.json({ builds });
  }

  one(req: Request, res: Response, id: string): void {
    const build = BUILD_ID.test(id) ? this.board.get(id) : null;
    if (!build) throw unknownBuild(id);
    res.setHeader('Cache-Control', 'no-store');
    if (prefersHtml(req)) {
      res.type('html').send(renderBuildPage(build));
      return;
    }
    res.json(build);
  }

  /**
   * `snapshot` (the build's JSON, log included), then `stage` and `log` events as they happen,
   * then `done` or `failed` (the final summary), and the stream ends. A finished build gets its
   * snapshot and end at once.
   */
  events(req: Request, res: Response, id: string): void {
    if (!BUILD_ID.test(id) || !this.board.get(id)) throw unknownBuild(id);
    if (req.method === 'HEAD') {
      res.status(200).type('text/event-stream').end();
      return;
    }
    if (this.open >= this.limits.maxStreams) {
      res.setHeader('Retry-After', '5');
      throw new RegistryError('throttled', 'too many build event streams are open; retry in 5 s', {
        retryAfterSeconds: 5,
      });
    }
    this.open++;
    let closed = false;
    let heartbeat: NodeJS.Timeout | undefined;
    let stop = () => {};
    const close = () => {
      if (closed) return;
      closed = true;
      this.open--;
      clearInterval(heartbeat);
      stop();
      if (!res.writableEnded) res.end();
    };
    // Never more than maxBufferedBytes held for one client: a slow one is dropped instead.
    const send = (chunk: string) => {
      if (closed) return;
      if (res.writableLength > this.limits.maxBufferedBytes) {
        req.log?.info({ build: id }, 'build event stream closed: the client reads too slowly');
        close();
        res.destroy();
        return;
      }
      res.write(chunk);
    };
    const onEvent = (event: BoardEvent) => {
      if (event.type === 'end') {
        send(sse(event.build.stage.stage === 'done' ? 'done' : 'failed', event.build));
        close();
        return;
      }
      if (event.type === 'log') send(sse('log', { line: event.line }));
      else {
        const { type: _type, ...stage } = event;
        send(sse('stage', stage));
      }
    };

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.once('close', close);

    const watched = this.board.watch(id, onEvent);
    if (!watched) {
      close();
      return;
    }
    stop = watched.stop;
    const { detail } = watched;
    send(sse('snapshot', detail));
    if (detail.endedAt !== null) {
      const { log: _log, logDropped: _dropped, ...summary } = detail;
      send(sse(detail.stage.stage === 'done' ? 'done' : 'failed', summary));
      close();
      return;
    }
    heartbeat = setInterval(() => send(': heartbeat\n\n'), this.limits.heartbeatMs);
    heartbeat.unref();
  }
}

function sse(event: string, data: unknown): string {
  // JSON has no raw newlines, so every event is one data line.
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Browsers ask for HTML first; API clients (curl, fetch, EventSource: any type) get JSON. */
function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'text/html']) === 'text/html';
}

function unknownBuild(id: string): RegistryError {
  return new RegistryError('build-unknown', `no build ${JSON.stringify(id.slice(0, 64))} is known here`, {
    id: id.slice(0, 64),
  });
}

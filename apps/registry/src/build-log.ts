import type { BuildInfo, BuildObserver } from '@nixery/builder';
import type { Logger } from 'pino';

/**
 * A build's observer that also logs it through a child logger, so every line of one build
 * carries its board id, image and the request id of the pull that started it (`reqId`, the
 * name pino-http gives request ids). Start, end and failure at info/warn; stage changes and
 * Nix's own lines at debug.
 */
export function buildLogger(logger: Logger, id: string, info: BuildInfo, next: BuildObserver): BuildObserver {
  const log = logger.child({ build: id, image: info.image, tag: info.tag, reqId: info.requestId });
  return {
    stage(stage) {
      next.stage(stage);
      switch (stage.stage) {
        case 'queued':
          log.info({ arch: info.arch }, 'build started');
          break;
        case 'done':
          log.info({ timings: stage.timings }, 'build finished');
          break;
        case 'failed':
          log.warn({ reason: stage.reason, err: stage.message }, 'build failed');
          break;
        default:
          log.debug({ stage }, 'build stage');
      }
    },
    log(line) {
      next.log(line);
      log.debug({ nix: line }, 'nix');
    },
  };
}

import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { RegistryError, sendRegistryError } from './errors.js';

/** True when the request's headers announce a body (RFC 9112 §6.3). */
export function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * This registry never reads a request body: every request that sends one is refused (a GET or
 * HEAD here, at its headers; a push later with 401 or 405). Node would otherwise drain the body
 * to keep the connection alive, for as long as the client keeps sending, so the answer carries
 * `Connection: close` and the socket ends with it.
 */
export function refuseRequestBodies(req: Request, res: Response, next: NextFunction): void {
  if (!announcesBody(req)) {
    next();
    return;
  }
  res.setHeader('Connection', 'close');
  if (req.method === 'GET' || req.method === 'HEAD') {
    sendRegistryError(
      res,
      new RegistryError('body-refused', `a ${req.method} request carries no body; this one announces one`),
    );
    return;
  }
  next();
}

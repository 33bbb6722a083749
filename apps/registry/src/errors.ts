import type { RegistryErrorCode } from '@nixery/builder';
import type { Response } from 'express';

/** A failure to report in the registry protocol's JSON error format. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly status: number,
    readonly code: RegistryErrorCode,
    message: string,
    readonly detail: unknown = null,
  ) {
    super(message);
  }
}

/** Writes `{"errors":[{code, message, detail}]}` with the given status (no body for HEAD). */
export function sendRegistryError(res: Response, error: RegistryError): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify({
    errors: [{ code: error.code, message: error.message, detail: error.detail }],
  });
  res.status(error.status);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (error.code === 'UNAUTHORIZED' && !res.getHeader('WWW-Authenticate')) {
    res.setHeader('WWW-Authenticate', 'Basic realm="nixery"');
  }
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

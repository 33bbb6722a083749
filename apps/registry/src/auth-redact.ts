const SECRET_HEADERS = ['authorization', 'proxy-authorization'];

/**
 * A request serializer for pino-http that keeps credentials out of the log: it replaces the
 * values of credential headers and leaves everything else as the standard serializer made it.
 */
export function redactCredentials<T extends { headers?: Record<string, unknown> }>(req: T): T {
  const headers = req.headers;
  if (!headers || !SECRET_HEADERS.some((name) => name in headers)) return req;
  const copy: Record<string, unknown> = { ...headers };
  for (const name of SECRET_HEADERS) if (name in copy) copy[name] = '[redacted]';
  return { ...req, headers: copy };
}

import { ABSOLUTE_FORM_PREFIX } from './request-target.js';

const REDACTED = '[redacted]';
/** Headers whose whole value is a credential. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
/** Headers holding a URL, which may carry user info or a token in its query. */
const URL_HEADERS = ['referer'];

/**
 * A URL or request target with its credentials taken out: user info becomes `[redacted]@`, every
 * query parameter keeps its name but not its value, and a fragment is dropped whole.
 */
export function redactUrl(url: string): string {
  const prefix = ABSOLUTE_FORM_PREFIX.exec(url)?.[0] ?? '';
  const at = prefix.lastIndexOf('@');
  const authority =
    at === -1 ? prefix : `${prefix.slice(0, prefix.indexOf('//') + 2)}${REDACTED}${prefix.slice(at)}`;
  let rest = url.slice(prefix.length);
  const hash = rest.indexOf('#');
  const fragment = hash === -1 ? '' : `#${REDACTED}`;
  if (hash !== -1) rest = rest.slice(0, hash);
  const question = rest.indexOf('?');
  if (question === -1) return authority + rest + fragment;
  const query = rest
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals === -1 ? pair : `${pair.slice(0, equals)}=${REDACTED}`;
    })
    .join('&');
  return `${authority}${rest.slice(0, question)}?${query}${fragment}`;
}

interface SerializedRequest {
  url?: unknown;
  query?: unknown;
  headers?: Record<string, unknown>;
}

/**
 * A request serializer for pino-http that keeps credentials out of the log: credential headers,
 * user info in the request target or Referer, and query parameter values. Everything else stays
 * as the standard serializer made it; the request itself is not touched.
 */
export function redactCredentials<T extends SerializedRequest>(req: T): T {
  const copy: T = { ...req };
  let changed = false;
  if (typeof req.url === 'string') {
    copy.url = redactUrl(req.url);
    changed ||= copy.url !== req.url;
  }
  if (req.query !== null && typeof req.query === 'object' && Object.keys(req.query).length > 0) {
    copy.query = Object.fromEntries(Object.keys(req.query).map((name) => [name, REDACTED]));
    changed = true;
  }
  if (req.headers) {
    const headers: Record<string, unknown> = { ...req.headers };
    for (const name of SECRET_HEADERS) if (name in headers) headers[name] = REDACTED;
    for (const name of URL_HEADERS) {
      const value = headers[name];
      if (typeof value === 'string') headers[name] = redactUrl(value);
    }
    changed ||= Object.keys(headers).some((name) => headers[name] !== req.headers?.[name]);
    copy.headers = headers;
  }
  // Unchanged requests are passed on as they are (no copy per log line).
  return changed ? copy : req;
}

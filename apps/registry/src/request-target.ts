/**
 * A request target split into its raw path and query (percent-encoding kept, dot segments left
 * alone). Absolute-form targets (`GET http://host/v2/ HTTP/1.1`, RFC 9112 §3.2.2) are reduced to
 * their path, so scheme, host and any user info never reach routing or error messages.
 */
export interface RequestTarget {
  path: string;
  /** Everything after the first `?`, or null when there is none. */
  query: string | null;
}

/** `scheme://authority` at the start of an absolute-form target. */
export const ABSOLUTE_FORM_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

export function splitRequestTarget(target: string): RequestTarget {
  const prefix = ABSOLUTE_FORM_PREFIX.exec(target);
  const rest = prefix ? target.slice(prefix[0].length) : target;
  const hash = rest.indexOf('#');
  const withoutFragment = hash === -1 ? rest : rest.slice(0, hash);
  const question = withoutFragment.indexOf('?');
  const path = question === -1 ? withoutFragment : withoutFragment.slice(0, question);
  return {
    path: path === '' && prefix ? '/' : path,
    query: question === -1 ? null : withoutFragment.slice(question + 1),
  };
}

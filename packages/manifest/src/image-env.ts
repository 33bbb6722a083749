/** Where the root layer's symlink forest puts programs; `/usr/bin` holds `env`. */
export const IMAGE_PATH = '/bin:/usr/bin';
/** The bundle path inside cacert's tree (linked into the root as /etc/ssl/certs/ca-bundle.crt). */
export const CA_BUNDLE = '/etc/ssl/certs/ca-bundle.crt';

export interface ImageEnvInput {
  /** Requested package names (attribute names as in the image name, e.g. `bashInteractive`). */
  packages: string[];
  /** Whether cacert is in the image (Nixery always adds it); default: `cacert` is among `packages`. */
  hasCacert?: boolean;
}

export interface ImageEnv {
  env: string[];
  cmd?: string[];
}

/**
 * Env and Cmd as Nixery sets them, plus an explicit PATH. Nixery's config carries only
 * SSL_CERT_FILE and relies on the runtime's default PATH (which includes /bin and /usr/bin);
 * stating it keeps the image working under runtimes that add no default.
 */
export function imageEnv(input: ImageEnvInput): ImageEnv {
  const hasCacert = input.hasCacert ?? input.packages.includes('cacert');
  const env = [`PATH=${IMAGE_PATH}`];
  if (hasCacert) env.push(`SSL_CERT_FILE=${CA_BUNDLE}`);
  const result: ImageEnv = { env };
  if (input.packages.includes('bashInteractive')) result.cmd = ['bash'];
  return result;
}

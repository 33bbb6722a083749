import { ImageNameError } from './errors.js';

export type Arch = 'amd64' | 'arm64' | 'riscv64';
export type NixSystem = 'x86_64-linux' | 'aarch64-linux' | 'riscv64-linux';

export interface ImageRequest {
  /** Canonical name: meta-packages first (arm64, shell), then the other packages sorted and unique. */
  name: string;
  /** Packages to build: sorted, unique, including the always-added cacert and iana-etc. */
  packages: string[];
  arch: Arch;
  system: NixSystem;
}

/** One path component of a repository name, as the distribution spec defines it (lowercase). */
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
export const MAX_COMPONENT_LENGTH = 128;
export const MAX_NAME_LENGTH = 255;
export const MAX_PACKAGES = 100;

const SHELL_PACKAGES = ['bashInteractive', 'coreutils', 'moreutils', 'nano'];
const ALWAYS_ADDED = ['cacert', 'iana-etc'];
const META_PACKAGES = new Set(['arm64', 'shell']);

/** Byte-wise (code unit) order, so the result never depends on the locale. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeComponentProblem(component: string, index: number): string | null {
  const where = `component ${index + 1}`;
  if (component === '') return `${where} is empty (leading, trailing or doubled '/')`;
  if (component.length > MAX_COMPONENT_LENGTH) {
    return `${where} is ${component.length} characters long; at most ${MAX_COMPONENT_LENGTH} are allowed`;
  }
  if (component.includes('%')) return `${where} ${JSON.stringify(component)} contains percent-encoded text`;
  if (component.includes('..')) return `${where} ${JSON.stringify(component)} contains '..'`;
  if (/[A-Z]/.test(component)) {
    return `${where} ${JSON.stringify(component)} contains uppercase letters; names are lowercase (package lookup ignores case)`;
  }
  if (!COMPONENT.test(component)) {
    return `${where} ${JSON.stringify(component)} is not a valid name component (lowercase letters, digits, and '.', '_', '__' or '-' between them)`;
  }
  return null;
}

/**
 * Parses an image name such as `shell/git/htop` into the packages to build.
 * Leading `shell` and `arm64` components are meta-packages (in any order among themselves);
 * anywhere else they are ordinary package names, as in Nixery.
 */
export function parseImageName(name: string): ImageRequest {
  if (name.length === 0) throw new ImageNameError('image name is empty');
  const components = name.split('/');
  if (components.length > MAX_PACKAGES) {
    throw new ImageNameError(
      `image name has ${components.length} components; at most ${MAX_PACKAGES} packages are allowed`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new ImageNameError(
      `image name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  const problems = components
    .map((component, index) => describeComponentProblem(component, index))
    .filter((p): p is string => p !== null);
  if (problems.length > 0) throw new ImageNameError(`invalid image name: ${problems.join('; ')}`);

  let metaCount = 0;
  while (metaCount < components.length && META_PACKAGES.has(components[metaCount] as string)) metaCount++;
  const meta = new Set(components.slice(0, metaCount));
  const requested = [...new Set(components.slice(metaCount))];

  const packages = new Set([...requested, ...ALWAYS_ADDED]);
  if (meta.has('shell')) for (const p of SHELL_PACKAGES) packages.add(p);
  const arm64 = meta.has('arm64');

  return {
    name: canonicalName(meta, requested),
    packages: [...packages].sort(byCodeUnit),
    arch: arm64 ? 'arm64' : 'amd64',
    system: arm64 ? 'aarch64-linux' : 'x86_64-linux',
  };
}

/**
 * The canonical name parses back to the same request: meta-packages in a fixed order, then the
 * other packages sorted, except that packages named like a meta-package go last so that they are
 * never mistaken for one.
 */
function canonicalName(meta: Set<string>, requested: string[]): string {
  const metaPart = ['arm64', 'shell'].filter((m) => meta.has(m));
  const plain = requested.filter((p) => !META_PACKAGES.has(p)).sort(byCodeUnit);
  const metaNamed = requested.filter((p) => META_PACKAGES.has(p)).sort(byCodeUnit);
  return [...metaPart, ...plain, ...metaNamed].join('/');
}

/** Whether the name itself chose the platform (a leading `arm64`): then it is that platform only. */
export function namesPlatform(request: ImageRequest): boolean {
  return request.name === 'arm64' || request.name.startsWith('arm64/');
}

/** The same request for another platform (an image index builds one per platform). */
export function forPlatform(
  request: ImageRequest,
  platform: { architecture: Arch; system: NixSystem },
): ImageRequest {
  return { ...request, arch: platform.architecture, system: platform.system };
}

import type { Arch, NixSystem } from './image-name.js';

/**
 * One platform an instance serves: the OCI/Docker platform fields of an image index entry and
 * the Nix system its images are built for.
 */
export interface Platform {
  os: 'linux';
  architecture: Arch;
  /** The CPU variant clients expect in an index entry (`v8` for arm64, as Docker writes it). */
  variant?: string;
  system: NixSystem;
}

const KNOWN: Readonly<Record<Arch, Platform>> = Object.freeze({
  amd64: Object.freeze({ os: 'linux', architecture: 'amd64', system: 'x86_64-linux' }),
  arm64: Object.freeze({ os: 'linux', architecture: 'arm64', variant: 'v8', system: 'aarch64-linux' }),
  // No bundled package builds for it; listed so an instance can name a platform it has a
  // builder (or a binary cache) for.
  riscv64: Object.freeze({ os: 'linux', architecture: 'riscv64', system: 'riscv64-linux' }),
});

/** The variants each architecture may be written with (`linux/arm64/v8` is `linux/arm64`). */
const ACCEPTED_VARIANTS: Readonly<Record<Arch, readonly string[]>> = {
  amd64: [],
  arm64: ['v8'],
  riscv64: [],
};

/** A platform written wrong (`--platforms`, `--platform`): the message says what is accepted. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
}

/** `linux/arm64` (or `linux/arm64/v8`) → the arm64 platform. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, architecture, variant, ...rest] = parts;
  const known = Object.keys(KNOWN).map((a) => `linux/${a}`);
  const problem = (why: string) =>
    new PlatformError(`platform ${JSON.stringify(text)} ${why}; known platforms: ${known.join(', ')}`);
  if (rest.length > 0 || os === undefined || architecture === undefined)
    throw problem('is not os/architecture[/variant]');
  if (os !== 'linux') throw problem(`has the os ${JSON.stringify(os)}; only linux images are built`);
  if (!Object.hasOwn(KNOWN, architecture)) throw problem('has an unknown architecture');
  const platform = KNOWN[architecture as Arch];
  if (variant !== undefined && !ACCEPTED_VARIANTS[platform.architecture].includes(variant))
    throw problem(`has the variant ${JSON.stringify(variant)}, which ${architecture} does not have here`);
  return platform;
}

/**
 * A comma-separated list (`linux/amd64,linux/arm64`) → its platforms, in the order given.
 * Empty entries and repeats are mistakes, so a typo is never silently ignored.
 */
export function parsePlatformList(text: string): Platform[] {
  const platforms: Platform[] = [];
  for (const entry of text.split(',')) {
    if (entry.trim() === '')
      throw new PlatformError(`the platform list ${JSON.stringify(text)} has an empty entry`);
    const platform = parsePlatform(entry);
    if (platforms.includes(platform))
      throw new PlatformError(
        `the platform list ${JSON.stringify(text)} names ${platformName(platform)} twice`,
      );
    platforms.push(platform);
  }
  return platforms;
}

/** The platform of an architecture. */
export function platformOfArch(arch: Arch): Platform {
  return KNOWN[arch];
}

/** `linux/arm64/v8`, the way clients write it. */
export function platformName(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

/** The machine's own platform (where Nix builds natively), or null on an architecture we do not build. */
export function hostPlatform(arch: string = process.arch): Platform | null {
  if (arch === 'x64') return KNOWN.amd64;
  if (arch === 'arm64') return KNOWN.arm64;
  if (arch === 'riscv64') return KNOWN.riscv64;
  return null;
}

/**
 * The platform a single-manifest answer is for: the host's when it is served, else the first.
 * `platforms` is never empty.
 */
export function defaultPlatform(
  platforms: readonly Platform[],
  host: Platform | null = hostPlatform(),
): Platform {
  const first = platforms[0];
  if (first === undefined) throw new PlatformError('no platform is served');
  return host !== null && platforms.includes(host) ? host : first;
}

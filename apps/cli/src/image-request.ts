import { type ImageRequest, parseImageName } from '@nixery/source';
import { CliError, EXIT } from './exit-codes.js';

/** `nixery build shell hello --arch arm64` → the registry name `arm64/shell/hello`, parsed. */
export function imageRequestFor(packages: string[], arch: 'amd64' | 'arm64' | undefined): ImageRequest {
  // Registry names are lowercase; attribute lookup ignores case, so python3Packages works too.
  const lowered = packages.map((p) => p.toLowerCase());
  const withArch = arch === 'arm64' && lowered[0] !== 'arm64' ? ['arm64', ...lowered] : lowered;
  let request: ImageRequest;
  try {
    request = parseImageName(withArch.join('/'));
  } catch (error) {
    throw new CliError(EXIT.usage, `invalid image: ${(error as Error).message}`);
  }
  if (arch === 'amd64' && request.arch !== 'amd64') {
    throw new CliError(
      EXIT.usage,
      `--arch amd64 contradicts the package list, which selects ${request.arch}`,
    );
  }
  return request;
}

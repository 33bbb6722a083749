import { type ImageError, imageErrorFromNix } from '@nixery/builder';
import type { NixResult } from '@nixery/nix';
import { CliError, exitCodeForImageFailure } from './exit-codes.js';

/** A failed image build as a CLI error: the builder's message, the Nix log tail, its exit code. */
export function cliErrorFromImageError(error: ImageError): CliError {
  const log = typeof error.detail.log === 'string' && error.detail.log !== '' ? `\n${error.detail.log}` : '';
  return new CliError(exitCodeForImageFailure(error.reason), `${error.message}${log}`);
}

/** A failed Nix run as a CLI error, reported as the builder reports it. */
export function nixFailure(result: Extract<NixResult, { ok: false }>): CliError {
  return cliErrorFromImageError(imageErrorFromNix(result));
}

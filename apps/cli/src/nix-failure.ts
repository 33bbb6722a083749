import type { ImageError } from '@nixery/builder';
import { CliError, exitCodeForImageFailure } from './exit-codes.js';

/** A failed image build as a CLI error: the builder's message, the Nix log tail, its exit code. */
export function cliErrorFromImageError(error: ImageError): CliError {
  const log = typeof error.detail.log === 'string' && error.detail.log !== '' ? `\n${error.detail.log}` : '';
  return new CliError(exitCodeForImageFailure(error.reason), `${error.message}${log}`);
}

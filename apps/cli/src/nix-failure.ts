import type { NixResult } from '@nixery/nix';
import { CliError, EXIT } from './exit-codes.js';

/** A failed Nix run as a CLI error, with the same exit codes `nixery build` uses. */
export function nixFailure(result: Extract<NixResult, { ok: false }>): CliError {
  switch (result.kind) {
    case 'unknown-packages':
      return new CliError(
        EXIT.notFound,
        `unknown package${result.names.length === 1 ? '' : 's'}: ${result.names.join(', ')}`,
      );
    case 'timeout':
      return new CliError(EXIT.timeout, `Nix timed out after ${result.seconds} s\n${result.logTail}`);
    case 'build-failed':
      return new CliError(EXIT.buildFailed, `Nix failed to build\n${result.logTail}`);
    case 'unsupported-system':
      return new CliError(EXIT.buildFailed, result.message);
    case 'nix-missing':
      return new CliError(EXIT.failure, result.message);
  }
}

import type { ImageFailureReason } from '@nixery/builder';

/** Exit codes that scripts can tell apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  buildFailed: 4,
  timeout: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitWith(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/**
 * A failure the CLI reports as one message and an exit code, thrown from anywhere in a command
 * and turned into output by main.ts (so commands stay testable functions that do not exit).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

/** The one table from a failed image request's reason (the builder's ImageError) to its exit code. */
export const IMAGE_FAILURE_EXIT_CODES: Readonly<Record<ImageFailureReason, ExitCode>> = {
  'invalid-name': EXIT.usage,
  'invalid-tag': EXIT.usage,
  'tag-not-served': EXIT.notFound,
  'unknown-packages': EXIT.notFound,
  'packages-removed': EXIT.notFound,
  'packages-refused': EXIT.notFound,
  timeout: EXIT.timeout,
  'unsupported-system': EXIT.buildFailed,
  'build-failed': EXIT.buildFailed,
  'forest-limit': EXIT.buildFailed,
  'evaluation-failed': EXIT.buildFailed,
  'nix-missing': EXIT.failure,
  'storage-failed': EXIT.failure,
  'storage-unavailable': EXIT.failure,
  internal: EXIT.failure,
};

export function exitCodeForImageFailure(reason: ImageFailureReason): ExitCode {
  return IMAGE_FAILURE_EXIT_CODES[reason];
}

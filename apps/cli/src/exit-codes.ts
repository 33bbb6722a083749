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

/** The exit code for each way an image build can fail (the builder's ImageError reasons). */
export function exitCodeForImageFailure(reason: ImageFailureReason): ExitCode {
  switch (reason) {
    case 'invalid-name':
    case 'invalid-tag':
      return EXIT.usage;
    case 'tag-not-served':
    case 'unknown-packages':
    case 'packages-removed':
    case 'packages-refused':
      return EXIT.notFound;
    case 'timeout':
      return EXIT.timeout;
    case 'unsupported-system':
    case 'build-failed':
    case 'forest-limit':
    case 'evaluation-failed':
      return EXIT.buildFailed;
    case 'nix-missing':
    case 'storage-failed':
      return EXIT.failure;
  }
}

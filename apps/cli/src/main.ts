#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError, EXIT } from './exit-codes.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

/** Prints a failure once and returns the exit code that classifies it. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander printed its message already; help and --version end with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`nixery: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(
    `nixery: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failure;
}

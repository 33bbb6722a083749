import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBuild } from './commands/build.js';
import { registerGc } from './commands/gc.js';
import { registerLayers } from './commands/layers.js';
import { registerPopularity } from './commands/popularity.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';
import { registerWarm } from './commands/warm.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * The `nixery` command tree; subcommands are registered by their own modules.
 * Commander's own errors (unknown option, missing argument) are thrown as CommanderError
 * instead of exiting, so main.ts can give them the usage exit code.
 */
export function buildProgram(): Command {
  const program = new Command('nixery')
    .description('Container images built on demand from Nix packages')
    .version(packageJson.version, '-V, --version', 'print the version')
    // Settings below are inherited by every subcommand registered afterwards.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ getOutHelpWidth: helpWidth, getErrHelpWidth: helpWidth })
    .addHelpText(
      'after',
      `
Examples:
  $ nixery serve --port 8080
  $ nixery build shell hello --out oci:./image
  $ nixery layers shell git --format table
  $ nixery popularity --all --out popularity.json
  $ nixery verify --storage-path ./var/storage --repair
  $ nixery warm shell/hello git --storage-path ./var/storage
  $ nixery gc --storage-path ./var/storage --retention 30d --dry-run`,
    );
  registerServe(program);
  registerBuild(program);
  registerLayers(program);
  registerPopularity(program);
  registerVerify(program);
  registerWarm(program);
  registerGc(program);
  return program;
}

/** The terminal's width, else $COLUMNS (so piped help and tests can fix it), else 80. */
function helpWidth(): number {
  const columns = Number(process.env.COLUMNS);
  return process.stdout.columns ?? (Number.isInteger(columns) && columns > 20 ? columns : 80);
}

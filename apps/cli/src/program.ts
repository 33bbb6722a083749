import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `nixery` command tree; subcommands are registered by their own modules. */
export function buildProgram(): Command {
  return new Command('nixery')
    .description('Container images built on demand from Nix packages')
    .version(packageJson.version, '-V, --version', 'print the version');
}

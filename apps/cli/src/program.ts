import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerServe } from './commands/serve.js';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The `nixery` command tree; subcommands are registered by their own modules. */
export function buildProgram(): Command {
  const program = new Command('nixery')
    .description('Container images built on demand from Nix packages')
    .version(packageJson.version, '-V, --version', 'print the version');
  registerServe(program);
  return program;
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CliError, EXIT } from './exit-codes.js';

const run = promisify(execFile);

/**
 * Lists a package set's derivations as attribute paths: every top-level attribute that is a
 * derivation, and the derivations one level inside other sets (python3Packages.requests).
 * Attributes that fail to evaluate are skipped. The set's folder reaches Nix as a string
 * argument, and the names come back as JSON: nothing is spliced into Nix code.
 */
const LIST_DERIVATIONS = `
{ path, system }:
let
  pkgs = import (/. + path) { inherit system; };
  isDerivation = v: builtins.isAttrs v && (v.type or null) == "derivation";
  evaluated = set: name:
    let r = builtins.tryEval (let v = set.\${name}; in builtins.seq (isDerivation v) v);
    in if r.success then r.value else null;
  inside = set: prefix:
    builtins.concatMap (name: if isDerivation (evaluated set name) then [ (prefix ++ [ name ]) ] else [ ])
      (builtins.attrNames set);
  entry = name:
    let v = evaluated pkgs name;
    in if isDerivation v then [ [ name ] ]
       else if builtins.isAttrs v then inside v [ name ]
       else [ ];
in builtins.concatMap entry (builtins.attrNames pkgs)
`;

export async function listPackageSetAttributes(
  path: string,
  system: string,
  options: { timeoutSeconds: number; substituters?: string },
): Promise<string[][]> {
  const args = [
    '--eval',
    '--strict',
    '--json',
    ...(options.substituters !== undefined ? ['--option', 'substituters', options.substituters] : []),
    '--expr',
    LIST_DERIVATIONS,
    '--argstr',
    'path',
    path,
    '--argstr',
    'system',
    system,
  ];
  let stdout: string;
  try {
    ({ stdout } = await run('nix-instantiate', args, {
      timeout: options.timeoutSeconds * 1000,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { killed?: boolean; stderr?: string };
    if (failure.code === 'ENOENT') throw new CliError(EXIT.failure, 'cannot run nix-instantiate: not found');
    if (failure.killed)
      throw new CliError(
        EXIT.timeout,
        `listing the attributes of ${path} timed out after ${options.timeoutSeconds} s`,
      );
    throw new CliError(
      EXIT.buildFailed,
      `listing the attributes of ${path} failed:\n${(failure.stderr ?? '').trim()}`,
    );
  }
  const names = JSON.parse(stdout) as unknown;
  if (
    !Array.isArray(names) ||
    !names.every((p) => Array.isArray(p) && p.every((c) => typeof c === 'string'))
  ) {
    throw new CliError(
      EXIT.failure,
      'nix-instantiate returned something other than a list of attribute paths',
    );
  }
  return names as string[][];
}

/** The Nix system of this machine, which the package set is built for. */
export function hostSystem(): string {
  switch (process.arch) {
    case 'x64':
      return 'x86_64-linux';
    case 'arm64':
      return 'aarch64-linux';
    default:
      throw new CliError(EXIT.failure, `no Nix system known for the CPU architecture ${process.arch}`);
  }
}

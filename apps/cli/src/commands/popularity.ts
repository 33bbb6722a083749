import { writeFile } from 'node:fs/promises';
import { type ImageClosure, ImageError, imageClosure } from '@nixery/builder';
import {
  computePopularity,
  type PathInfoInput,
  popularityToJson,
  type RuntimeGraphJson,
} from '@nixery/layers';
import { hostSystem, listPackageSetAttributes } from '@nixery/nix';
import { resolveSourceForTag } from '@nixery/source';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { parseJsonInput, readInput } from '../inputs.js';
import { cliErrorFromImageError } from '../nix-failure.js';
import { createProgress, type Progress } from '../progress.js';
import { defaultCacheDir, resolveSettings, settingOption } from '../settings.js';

/** Attributes of the bundled set that `--all` leaves out by default: a deliberately slow and a broken build. */
export const DEFAULT_EXCLUDED = ['slowDemo', 'brokenDemo'];

export interface PopularityFlags {
  fromPathInfo?: string[];
  pkgsPath?: string;
  attrs?: string;
  all?: boolean;
  exclude: string;
  out?: string;
  nixTimeout?: string;
  substituters?: string;
  quiet?: boolean;
}

export function registerPopularity(program: Command): void {
  program
    .command('popularity')
    .description('Count how often each package is referenced, as popularity data for layer grouping')
    .option(
      '--from-path-info <file...>',
      "'nix path-info --json -r --closure-size' outputs to count ('-' reads stdin)",
    )
    .addOption(settingOption('pkgsPath'))
    .option('--attrs <a,b,c>', 'build these attributes of the package set and count their closures')
    .option('--all', 'build every derivation of the package set (top level and one level down)')
    .option('--exclude <a,b>', 'attributes --all leaves out', DEFAULT_EXCLUDED.join(','))
    .option('-o, --out <file>', 'write the JSON here instead of stdout')
    .addOption(settingOption('nixTimeout'))
    .addOption(settingOption('substituters'))
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
The result is {"name-version": count}: for every store path name, how many other store paths
refer to a path of that name (each distinct path counted once), which is how Nixery counts a
channel. Give it to 'serve' as NIX_POPULARITY_URL=file:///... or to 'build'/'layers' as --popularity.

Examples:
  $ nixery popularity --all --out popularity.json
  $ nixery popularity --attrs hello,bash,git
  $ nix path-info --json -r --closure-size $(nix-build '<nixpkgs>' -A git) > git.json
  $ nixery popularity --from-path-info git.json other.json --out popularity.json`,
    )
    .action(async (flags: PopularityFlags) => {
      const json = await runPopularity(flags);
      if (flags.out !== undefined) await writeFile(flags.out, `${json}\n`);
      else process.stdout.write(`${json}\n`);
    });
}

/** The popularity JSON (keys sorted) for these flags. */
export async function runPopularity(flags: PopularityFlags): Promise<string> {
  const fromFiles = flags.fromPathInfo ?? [];
  const building = flags.attrs !== undefined || flags.all === true;
  if (flags.attrs !== undefined && flags.all === true)
    throw new CliError(EXIT.usage, 'give --attrs or --all, not both');
  if (!building && fromFiles.length === 0) {
    throw new CliError(EXIT.usage, 'nothing to count: give --from-path-info FILE..., --attrs a,b,c or --all');
  }
  if (flags.pkgsPath !== undefined && !building)
    throw new CliError(EXIT.usage, '--pkgs-path needs --attrs or --all');

  const closures: (RuntimeGraphJson | PathInfoInput)[] = [];
  for (const file of fromFiles) {
    closures.push(
      parseJsonInput('--from-path-info', file, await readInput('--from-path-info', file)) as PathInfoInput,
    );
  }
  if (building) closures.push(await buildClosures(flags, createProgress({ quiet: flags.quiet === true })));
  try {
    return popularityToJson(computePopularity(closures));
  } catch (error) {
    throw new CliError(EXIT.failure, `cannot count: ${(error as Error).message}`);
  }
}

/** Builds the chosen attributes with Nix and returns the closure of exactly those packages. */
async function buildClosures(flags: PopularityFlags, progress: Progress): Promise<RuntimeGraphJson> {
  const settings = resolveSettings(
    {
      ...(flags.pkgsPath !== undefined ? { pkgsPath: flags.pkgsPath } : {}),
      ...(flags.nixTimeout !== undefined ? { nixTimeout: flags.nixTimeout } : {}),
      ...(flags.substituters !== undefined ? { substituters: flags.substituters } : {}),
    },
    defaultCacheDir(),
    // Only a local set can be listed and built here; ignore any other source in the environment.
    { ...process.env, NIXERY_CHANNEL: '', NIXERY_PKGS_REPO: '' },
  );
  const system = hostSystem();
  if (system === null)
    throw new CliError(EXIT.failure, `no Nix system known for the CPU architecture ${process.arch}`);
  const substituters = settings.nixSubstituters !== null ? { substituters: settings.nixSubstituters } : {};
  if (settings.source.kind !== 'path')
    throw new CliError(EXIT.usage, 'popularity builds only local package sets');

  let attrs: string[];
  if (flags.all) {
    progress.stage(`listing the derivations of ${settings.source.path}`);
    const excluded = new Set(splitList(flags.exclude));
    const listing = await listPackageSetAttributes(settings.source.path, system, {
      timeoutSeconds: settings.nixTimeoutSeconds,
      ...substituters,
    });
    if (!listing.ok) throw new CliError(LISTING_EXIT[listing.kind], listing.message);
    // A dot inside a name could not be told from nesting in the dotted form the resolver takes.
    attrs = listing.attributes
      .filter((path) => path.every((c) => !c.includes('.')) && !excluded.has(path.join('.')))
      .map((path) => path.join('.'));
    progress.note(`${attrs.length} derivations`);
  } else {
    attrs = splitList(flags.attrs ?? '');
    if (attrs.length === 0) throw new CliError(EXIT.usage, '--attrs needs at least one attribute name');
  }

  progress.stage(`building ${attrs.length} package${attrs.length === 1 ? '' : 's'}`);
  // Attributes, not an image: no cacert and iana-etc added, and the host's own system.
  let result: ImageClosure;
  try {
    result = await imageClosure(
      { packages: attrs, system, source: resolveSourceForTag(settings.source, 'latest') },
      {
        nixTimeoutSeconds: settings.nixTimeoutSeconds,
        ...(settings.nixSubstituters !== null ? { nixSubstituters: settings.nixSubstituters } : {}),
      },
    );
  } catch (error) {
    progress.stop();
    if (error instanceof ImageError) throw cliErrorFromImageError(error);
    throw error;
  }
  const closure = closureOf(result.graph);
  progress.done(`counted ${closure.graph.length} store paths`);
  return closure;
}

/**
 * The runner also builds coreutils (for an image's /usr/bin/env); keep only what the requested
 * packages reach, so asking for `hello` counts hello's closure and nothing else.
 */
export function closureOf(graph: RuntimeGraphJson): RuntimeGraphJson {
  const byPath = new Map(graph.graph.map((info) => [info.path, info]));
  const reached = new Set<string>();
  const stack = [...graph.exportReferencesGraph.graph];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const reference of byPath.get(path)?.references ?? []) stack.push(reference);
  }
  return { ...graph, graph: graph.graph.filter((info) => reached.has(info.path)) };
}

const LISTING_EXIT = {
  'nix-missing': EXIT.failure,
  timeout: EXIT.timeout,
  'evaluation-failed': EXIT.buildFailed,
  'invalid-output': EXIT.failure,
} as const;

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

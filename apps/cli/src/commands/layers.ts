import {
  type GroupingSettings,
  groupImageLayers,
  ImageError,
  type ImagePlan,
  planImage,
} from '@nixery/builder';
import { type ImageReport, imageReport, standaloneHtml } from '@nixery/explorer';
import {
  buildDominatorTree,
  dominatorTreeToDot,
  type Layer,
  LayersError,
  layersToJson,
  layersToTable,
  type Popularity,
  type RuntimeGraphJson,
  runtimeGraphFromPathInfo,
  storePathName,
} from '@nixery/layers';
import { type Command, Option } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { imageRequestFor } from '../image-request.js';
import { loadPopularityInput, parseJsonInput, readInput } from '../inputs.js';
import { cliErrorFromImageError } from '../nix-failure.js';
import { createProgress } from '../progress.js';
import {
  addSourceOptions,
  budgetOption,
  defaultCacheDir,
  resolveSettings,
  type SourceFlags,
  strategyOption,
} from '../settings.js';

export type LayersFormat = 'table' | 'json' | 'dot' | 'html';

export interface LayersFlags extends SourceFlags {
  graph?: string;
  top?: string[];
  arch?: 'amd64' | 'arm64';
  tag: string;
  popularity?: string;
  budget?: string;
  strategy?: string;
  format: LayersFormat;
  quiet?: boolean;
}

export function registerLayers(program: Command): void {
  const command = program
    .command('layers')
    .description('Show how an image is split into layers (popularity-driven grouping)')
    .argument('[packages...]', 'packages of the image, built with Nix to read their runtime graph')
    .option(
      '--graph <file>',
      "a runtime graph instead of packages: exportReferencesGraph JSON, or 'nix path-info --json -r --closure-size' output ('-' reads stdin)",
    )
    .option(
      '--top <path...>',
      'with a path-info --graph: the requested store paths (default: paths nothing else references)',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'dot', 'html'])
        .default('table'),
    )
    .addOption(budgetOption('--budget <n>'))
    .addOption(strategyOption())
    .option('--popularity <file|url>', 'popularity data {"name-version": count} [NIX_POPULARITY_URL]')
    .addOption(new Option('--arch <arch>', 'image architecture (default amd64)').choices(['amd64', 'arm64']))
    .option('--tag <tag>', 'the tag whose package set is used (the ref of --pkgs-repo)', 'latest');
  addSourceOptions(command)
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      `
Formats: table (one row per layer), json ({"layers":[{"paths","mergeRating","narSize","key"}]} in
manifest order, mergeRating exact), dot (the dominator tree with one cluster per layer, for Graphviz),
html (the registry's layer explorer as one self-contained offline page: the picture, the layer list,
why each layer exists; no compressed sizes, as nothing is built).
The image-root (symlink) layer that images also get is not shown.

Examples:
  $ nixery layers shell git
  $ nixery layers python3packages.numpy --budget 3 --format json
  $ nix path-info --json -r --closure-size $(nix-build '<nixpkgs>' -A hello) > hello.json
  $ nixery layers --graph hello.json --popularity popularity.json
  $ nixery layers shell --format dot | dot -Tsvg > shell-layers.svg
  $ nixery layers shell git htop --format html > layers.html`,
    )
    .action(async (packages: string[], flags: LayersFlags) => {
      process.stdout.write(await runLayers(packages, flags));
    });
}

/** The command's output text for these arguments. */
export async function runLayers(packages: string[], flags: LayersFlags): Promise<string> {
  if ((flags.graph === undefined) === (packages.length === 0)) {
    throw new CliError(EXIT.usage, 'give either packages or --graph FILE (not both)');
  }
  if (flags.top !== undefined && flags.graph === undefined) {
    throw new CliError(EXIT.usage, '--top only applies to --graph');
  }
  const settings = resolveSettings({ ...flags, layerBudget: flags.budget }, defaultCacheDir());
  // A graph file stands on its own: the served package set's popularity (the bundled set ships one)
  // applies only when the graph comes from that set.
  const popularitySource =
    flags.popularity ??
    (flags.graph === undefined ? settings.popularityUrl : (process.env.NIX_POPULARITY_URL ?? null));
  const popularity = await loadPopularityInput('--popularity', popularitySource);
  const grouping = { popularity, layerBudget: settings.layerBudget, layerStrategy: settings.layerStrategy };
  const strategy = { strategy: settings.layerStrategy, budget: settings.layerBudget };
  if (flags.graph === undefined) {
    const plan = await planOfPackages(packages, flags, settings, grouping);
    if (flags.format === 'html')
      return standaloneHtml(imageReport({ plan, tag: flags.tag, grouping: strategy }));
    return formatLayers(flags.format, plan.graph, plan.layers, popularity);
  }
  const graph = await readGraph(flags.graph, flags.top);
  try {
    const layers = groupImageLayers(graph, grouping);
    if (flags.format === 'html') return standaloneHtml(graphReport(graph, layers, strategy));
    return formatLayers(flags.format, graph, layers, popularity);
  } catch (error) {
    if (error instanceof LayersError)
      throw new CliError(EXIT.failure, `invalid runtime graph: ${error.message}`);
    throw error;
  }
}

/** A graph file's report: its top-level paths stand for the requested packages. */
function graphReport(
  graph: RuntimeGraphJson,
  layers: Layer[],
  grouping: { strategy: string; budget: number },
): ImageReport {
  const top = graph.exportReferencesGraph.graph;
  const packages = top.map((path) => ({ name: storePathName(path), outPaths: [path] }));
  return imageReport({
    plan: {
      request: {
        name: packages.map((p) => p.name).join('/') || 'graph',
        arch: 'amd64',
        packages: packages.map((p) => p.name),
      },
      closure: { packages, envPath: null },
      graph,
      layers,
    },
    tag: 'graph',
    grouping,
  });
}

function formatLayers(
  format: Exclude<LayersFormat, 'html'>,
  graph: RuntimeGraphJson,
  layers: Layer[],
  popularity: Popularity,
): string {
  switch (format) {
    case 'json':
      return `${layersToJson(layers)}\n`;
    case 'table':
      return layersToTable(layers);
    case 'dot':
      return dominatorTreeToDot(buildDominatorTree(graph, popularity), layers);
  }
}

/** An exportReferencesGraph file as is, or `nix path-info --json -r` output with its top paths. */
async function readGraph(file: string, top: string[] | undefined): Promise<RuntimeGraphJson> {
  const json = parseJsonInput('--graph', file, await readInput('--graph', file));
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'exportReferencesGraph' in json) {
    if (top !== undefined)
      throw new CliError(
        EXIT.usage,
        '--top cannot be used with an exportReferencesGraph file, which names its own top paths',
      );
    return json as RuntimeGraphJson;
  }
  try {
    return runtimeGraphFromPathInfo(json, top);
  } catch (error) {
    if (error instanceof LayersError) throw new CliError(EXIT.failure, `--graph ${file}: ${error.message}`);
    throw error;
  }
}

/** The builder's plan of the image these packages make: its grouping graph and layer groups. */
async function planOfPackages(
  packages: string[],
  flags: LayersFlags,
  settings: ReturnType<typeof resolveSettings>,
  grouping: GroupingSettings,
): Promise<ImagePlan> {
  const request = imageRequestFor(packages, flags.arch);
  const progress = createProgress({ quiet: flags.quiet === true });
  progress.stage(`running Nix for ${request.name}`);
  let plan: ImagePlan;
  try {
    plan = await planImage(request.name, flags.tag, {
      source: settings.source,
      nixTimeoutSeconds: settings.nixTimeoutSeconds,
      evaluationTimeoutSeconds: settings.evaluationTimeoutSeconds,
      allowUnfree: settings.allowUnfree,
      ...(settings.nixSubstituters !== null ? { nixSubstituters: settings.nixSubstituters } : {}),
      ...(settings.nixExtraPlatforms !== null ? { nixExtraPlatforms: settings.nixExtraPlatforms } : {}),
      ...grouping,
    });
  } catch (error) {
    progress.stop();
    if (error instanceof ImageError) throw cliErrorFromImageError(error);
    throw error;
  }
  progress.done(`runtime graph of ${request.name}: ${plan.closure.graph.graph.length} store paths`);
  return plan;
}

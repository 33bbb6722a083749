import { AsyncLocalStorage } from 'node:async_hooks';
import { type BuildStage, describeStage, ImageBuilder, ImageError } from '@nixery/builder';
import {
  applyFlags,
  builderOptions,
  type Config,
  ConfigError,
  loadConfig,
  type SettingFlags,
  settingList,
  withCliStoragePath,
} from '@nixery/config';
import { loadPopularity } from '@nixery/registry';
import { resolveSourceForTag } from '@nixery/source';
import { createStorage } from '@nixery/storage';
import type { Command } from 'commander';
import { CliError, EXIT, exitCodeForImageFailure } from '../exit-codes.js';
import { readInput } from '../inputs.js';
import { addSettingOptions, wholeNumber } from '../settings.js';
import { createMultiProgress } from '../warm-progress.js';

/** The settings that decide what a server builds and where it keeps it: the same as `serve`'s. */
const WARM_SETTINGS = settingList()
  .filter(
    ([, spec]) => spec.flag !== undefined && ['source', 'storage', 'nix', 'layers'].includes(spec.group),
  )
  .map(([name]) => name);

type WarmFlags = SettingFlags & { file?: string; jobs: string; json?: boolean; quiet?: boolean };

/** One image's outcome, as the summary and `--json` report it. */
interface WarmResult {
  image: string;
  tag: string;
  result: 'built' | 'cached' | 'failed';
  reason?: string;
  message?: string;
  ms: number;
}

export function registerWarm(program: Command): void {
  const command = program
    .command('warm')
    .description('Build images into the storage a server uses, so it serves them from its cache')
    .argument('[images...]', 'images as a client names them: name[:tag] (e.g. shell/hello, git:<commit>)')
    .option('-f, --file <file>', 'more images, one per line (# comments; - reads stdin)')
    .option('-j, --jobs <n>', 'images built at once', '2')
    .option('--json', 'print the results as JSON on stdout')
    .option('-q, --quiet', 'no progress on stderr');
  addSettingOptions(command, WARM_SETTINGS).addHelpText(
    'after',
    `
Give it the settings of the server (the same variables and flags as serve): the package source,
the storage, and the Nix and layer settings. A server sharing that storage then answers these
images from its cache without running Nix, when the source is pinned (a commit of --pkgs-repo, a
channel commit); images of unpinned sources get their layers stored and are evaluated again.

Exit codes: 0 all built or cached, else the first failure's (2 usage, 3 unknown package,
4 build failed, 5 Nix timed out, 1 other).

Examples:
  $ nixery warm shell/hello git/htop --storage-path /var/lib/nixery
  $ NIXERY_PKGS_REPO=https://github.com/NixOS/nixpkgs nixery warm --file images.txt \\
      --storage-backend s3 --s3-bucket images --aws-region eu-west-1`,
  );
  command.action(async (images: string[], flags: WarmFlags) => {
    const results = await runWarm(images, flags);
    const failed = results.find((r) => r.result === 'failed');
    if (failed) process.exitCode = exitCodeForImageFailure(failed.reason as ImageError['reason']);
  });
}

async function runWarm(args: string[], flags: WarmFlags): Promise<WarmResult[]> {
  const { file, jobs: jobsFlag, json, quiet, ...settingFlags } = flags;
  const jobs = wholeNumber('--jobs', jobsFlag, 1, 64);
  const listed = file === undefined ? [] : parseImageList(await readInput('--file', file));
  const images = [...new Set([...args, ...listed])].map(splitImage);
  if (images.length === 0) throw new CliError(EXIT.usage, 'warm: name at least one image (or --file)');

  let config: Config;
  try {
    config = loadConfig({ env: withCliStoragePath(applyFlags(process.env, settingFlags)) });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(EXIT.usage, `invalid settings\n${error.message}`);
    throw error;
  }
  const popularity = await loadPopularity(config.popularityUrl);
  const labels = images.map(({ name, tag }) => `${name}:${tag}`);
  const progress = createMultiProgress(labels, { quiet: quiet === true });
  // Which image a build belongs to: the getImage call that started it (its async context).
  const current = new AsyncLocalStorage<number>();
  const built = new Set<number>();
  const builder = new ImageBuilder({
    ...builderOptions(config),
    storage: createStorage(config.storage),
    popularity,
    observeBuild: () => {
      const index = current.getStore();
      if (index === undefined) return undefined;
      built.add(index);
      return {
        stage: (stage: BuildStage) => {
          if (stage.stage !== 'done' && stage.stage !== 'failed')
            progress.update(index, describeStage(stage));
        },
        log: () => {},
      };
    },
  });

  const results: WarmResult[] = new Array(images.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < images.length; index = next++) {
      const { name, tag } = images[index] as { name: string; tag: string };
      const started = performance.now();
      progress.update(index, 'looking up');
      try {
        await current.run(index, () => builder.getImage(name, tag));
        const ms = Math.round(performance.now() - started);
        const result = built.has(index) ? 'built' : 'cached';
        results[index] = { image: name, tag, result, ms };
        progress.update(index, result === 'built' ? `built in ${seconds(ms)}` : 'already cached', 'ok');
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        const ms = Math.round(performance.now() - started);
        results[index] = {
          image: name,
          tag,
          result: 'failed',
          reason: error.reason,
          message: error.message,
          ms,
        };
        progress.update(index, `failed (${error.reason}): ${firstLine(error.message)}`, 'failed');
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, images.length) }, worker));
  } finally {
    progress.stop();
  }

  if (json) process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  else process.stdout.write(summary(results, unpinned(config, images)));
  return results;
}

/** `name[:tag]`: a tag follows the last colon after the last slash; none means `latest`. */
function splitImage(image: string): { name: string; tag: string } {
  const colon = image.lastIndexOf(':');
  if (colon > image.lastIndexOf('/')) return { name: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { name: image, tag: 'latest' };
}

function parseImageList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}

/** The images whose tag names no fixed version of the source: a server asks Nix about them again. */
function unpinned(config: Config, images: { name: string; tag: string }[]): number {
  return images.filter(({ tag }) => {
    try {
      return !resolveSourceForTag(config.source, tag).pinned;
    } catch {
      return false;
    }
  }).length;
}

function summary(results: WarmResult[], unpinnedCount: number): string {
  const count = (r: WarmResult['result']) => results.filter((x) => x.result === r).length;
  const lines = [`built ${count('built')}, already cached ${count('cached')}, failed ${count('failed')}`];
  for (const r of results) {
    const label = `${r.image}:${r.tag}`;
    if (r.result === 'built') lines.push(`  built   ${label} (${seconds(r.ms)})`);
    else if (r.result === 'cached') lines.push(`  cached  ${label}`);
    else lines.push(`  failed  ${label}: ${r.reason}: ${firstLine(r.message ?? '')}`);
  }
  if (unpinnedCount > 0) {
    lines.push(
      `note: ${unpinnedCount} image(s) come from an unpinned source (a branch, a channel name, a local set): ` +
        'their layers are stored, but a server evaluates them again',
    );
  }
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

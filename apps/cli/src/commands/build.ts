import { mkdir } from 'node:fs/promises';
import {
  type BuilderEvent,
  type BuildTimings,
  ImageBuilder,
  ImageError,
  type ImageIndexRecord,
  type ImageRecord,
} from '@nixery/builder';
import { builderOptions } from '@nixery/config';
import { namesPlatform, type Platform, PlatformError, parsePlatformList, platformName } from '@nixery/source';
import { createStorage } from '@nixery/storage';
import { type Command, Option } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { imageRequestFor } from '../image-request.js';
import { loadPopularityInput } from '../inputs.js';
import { cliErrorFromImageError } from '../nix-failure.js';
import type { ExportableImage } from '../output/blobs.js';
import { writeDockerArchive } from '../output/docker-archive.js';
import { writeOciIndexLayout, writeOciLayout, writeOciReferrer } from '../output/oci-layout.js';
import { sbomReferrer, writeSbomFile } from '../output/sbom.js';
import { type OutputTarget, parseOutputTarget } from '../output/target.js';
import { createProgress, type Progress } from '../progress.js';
import {
  addSourceOptions,
  budgetOption,
  defaultCacheDir,
  gzipLevelOption,
  resolveSettings,
  type SourceFlags,
  strategyOption,
} from '../settings.js';

/** What `--platform all` builds: the platforms the bundled set has packages for. */
const ALL_PLATFORMS = 'linux/amd64,linux/arm64';

export interface BuildFlags extends SourceFlags {
  out: string;
  arch?: 'amd64' | 'arm64';
  platform?: string;
  tag: string;
  cacheDir?: string;
  layerBudget?: string;
  strategy?: string;
  gzipLevel?: string;
  popularity?: string;
  json?: boolean;
  sbom?: string;
  sbomReferrer?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** What `--json` prints: the image record plus where it went and how long each part took. */
export interface BuildReport extends ImageRecord {
  tag: string;
  output: { transport: OutputTarget['kind']; path: string; reference: string };
  timings: (BuildTimings & { outputMs: number }) | { cached: true; outputMs: number };
}

export function registerBuild(program: Command): void {
  const command = program
    .command('build')
    .description('Build an image locally and write it as an OCI layout or a docker-archive tarball')
    .argument(
      '<packages...>',
      'packages in the image; the image name is them joined by "/" (e.g. shell hello)',
    )
    .requiredOption('-o, --out <target>', 'oci:DIR[:TAG] or docker-archive:FILE[:NAME:TAG]')
    .addOption(new Option('--arch <arch>', 'image architecture (default amd64)').choices(['amd64', 'arm64']))
    .option(
      '--platform <platforms>',
      `a platform (linux/arm64), a comma-separated list, or "all" (${ALL_PLATFORMS}); two or more give an OCI layout whose tag names an image index`,
    )
    .option(
      '--tag <tag>',
      'the tag to build, as a registry client would ask for it (the ref of --pkgs-repo)',
      'latest',
    )
    .option(
      '--cache-dir <dir>',
      'layer and manifest cache shared by builds (default $XDG_CACHE_HOME/nixery or ~/.cache/nixery)',
    );
  addSourceOptions(command)
    .addOption(budgetOption('--layer-budget <n>'))
    .addOption(strategyOption())
    .addOption(gzipLevelOption())
    .option('--popularity <file|url>', 'popularity data {"name-version": count} [NIX_POPULARITY_URL]')
    .option('--json', 'print the image record (digests, layers, timings) as JSON on stdout')
    .option('--sbom <file>', "write the image's SBOM (SPDX 2.3 JSON of its Nix closure) to FILE")
    .option('--sbom-referrer', 'add the SBOM to the OCI layout as an OCI 1.1 referrer of the image')
    .option('-q, --quiet', 'no progress on stderr')
    .option('-v, --verbose', "show Nix's build log on stderr")
    .addHelpText(
      'after',
      `
Repeated builds reuse the layers in the cache folder, so only changed layers are written again.
Progress goes to stderr; stdout has only the result (one line, or the record with --json).

Exit codes: 0 built, 2 usage error, 3 unknown package, 4 build failed, 5 Nix timed out.

Examples:
  $ nixery build hello --out oci:./hello-oci
  $ skopeo inspect oci:./hello-oci:latest
  $ nixery build shell hello --out docker-archive:shell-hello.tar && podman load -i shell-hello.tar
  $ nixery build --arch arm64 shell --out oci:./images:shell-arm64
  $ nixery build --platform all hello --out oci:./hello-multi && skopeo inspect --raw oci:./hello-multi:latest
  $ nixery build git --pkgs-path ~/my-pkgs --json --out oci:./git | jq .manifests.oci.digest
  $ nixery build shell git --out oci:./git --sbom-referrer --sbom git.spdx.json`,
    )
    .action(async (packages: string[], flags: BuildFlags) => {
      await runBuild(packages, flags);
    });
}

export async function runBuild(packages: string[], flags: BuildFlags): Promise<void> {
  const target = parseOutputTarget(flags.out);
  if (flags.sbomReferrer && target.kind !== 'oci')
    throw new CliError(EXIT.usage, '--sbom-referrer needs an OCI layout (--out oci:DIR); use --sbom FILE');
  const platforms = platformsFlag(flags);
  const request = imageRequestFor(packages, flags.arch);
  if (platforms !== null && namesPlatform(request))
    throw new CliError(
      EXIT.usage,
      'a leading arm64 package already chooses the platform; drop it or --platform',
    );
  const cacheDir = flags.cacheDir ?? defaultCacheDir();
  const settings = resolveSettings(
    { ...flags, ...(platforms !== null ? { platforms: platforms.map(platformName).join(',') } : {}) },
    cacheDir,
  );
  const popularity = await loadPopularityInput('--popularity', flags.popularity ?? settings.popularityUrl);
  await mkdir(cacheDir, { recursive: true });

  const progress = createProgress({ quiet: flags.quiet === true });
  const builder = new ImageBuilder({
    ...builderOptions(settings),
    storage: createStorage({ backend: 'filesystem', path: cacheDir }),
    popularity,
    onEvent: buildEventReporter(progress, flags.verbose === true),
  });

  if (platforms !== null && platforms.length > 1) {
    await runIndexBuild(builder, request.name, target, flags, progress);
    return;
  }
  progress.stage(`building ${request.name}:${flags.tag}`);
  let record: ImageRecord & { timings?: BuildTimings };
  try {
    record = await builder.getImage(request.name, flags.tag);
  } catch (error) {
    progress.stop();
    if (error instanceof ImageError) throw cliErrorFromImageError(error);
    throw error;
  }

  const outputStarted = performance.now();
  const reference = describeTarget(target, record.name, flags.tag);
  progress.stage(`writing ${reference.transport}:${reference.path}`);
  const exportable = await exportableImage(builder, record, target.kind);
  try {
    if (target.kind === 'oci')
      await writeOciLayout(target.dir, reference.reference, exportable, builder.storage);
    else await writeDockerArchive(target.file, reference.reference, exportable, builder.storage);
  } catch (error) {
    progress.stop();
    throw new CliError(EXIT.failure, `writing ${flags.out} failed: ${(error as Error).message}`);
  }
  if (flags.sbom !== undefined || flags.sbomReferrer) {
    try {
      const referrer = await sbomReferrer(builder, record);
      if (flags.sbomReferrer && target.kind === 'oci')
        await writeOciReferrer(target.dir, referrer, builder.storage);
      if (flags.sbom !== undefined) await writeSbomFile(builder, referrer, flags.sbom);
    } catch (error) {
      progress.stop();
      if (error instanceof CliError) throw error;
      throw new CliError(EXIT.failure, `writing the SBOM failed: ${(error as Error).message}`);
    }
  }
  const outputMs = Math.round(performance.now() - outputStarted);
  const totalBytes = record.layers.reduce((sum, layer) => sum + layer.size, 0);
  progress.done(`wrote ${record.layers.length} layers (${formatMiB(totalBytes)}) in ${outputMs} ms`);

  if (flags.json) {
    const { timings, ...image } = record;
    const report: BuildReport = {
      ...image,
      // Only the documented fields: records read back from the cache can carry more.
      layers: image.layers.map(({ digest, diffId, size, key, pathCount }) => ({
        digest,
        diffId,
        size,
        key,
        pathCount,
      })),
      tag: flags.tag,
      output: reference,
      timings: timings ? { ...timings, outputMs } : { cached: true, outputMs },
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const manifest = target.kind === 'oci' ? record.manifests.oci : record.manifests.docker;
    process.stdout.write(
      `${reference.transport}:${reference.path}:${reference.reference} ${manifest.digest}\n`,
    );
  }
}

/** `all` (ALL_PLATFORMS), or the given list; null without --platform. */
function platformsFlag(flags: BuildFlags): Platform[] | null {
  if (flags.platform === undefined) return null;
  if (flags.arch !== undefined) throw new CliError(EXIT.usage, '--arch and --platform: give one of them');
  try {
    return parsePlatformList(flags.platform.trim().toLowerCase() === 'all' ? ALL_PLATFORMS : flags.platform);
  } catch (error) {
    if (error instanceof PlatformError) throw new CliError(EXIT.usage, `--platform: ${error.message}`);
    throw error;
  }
}

/** What `--json` prints for several platforms: the index, each platform's image, who was left out. */
export interface IndexBuildReport extends Omit<ImageIndexRecord, 'images'> {
  tag: string;
  output: BuildReport['output'];
  images: { platform: string; image: ImageRecord }[];
}

/** Two or more platforms: an image index in an OCI layout (a docker-archive holds one image). */
async function runIndexBuild(
  builder: ImageBuilder,
  name: string,
  target: OutputTarget,
  flags: BuildFlags,
  progress: Progress,
): Promise<void> {
  if (target.kind !== 'oci')
    throw new CliError(
      EXIT.usage,
      'a docker-archive holds one platform; use --out oci:DIR, or one --platform',
    );
  if (flags.sbom !== undefined || flags.sbomReferrer)
    throw new CliError(EXIT.usage, '--sbom and --sbom-referrer are for one platform; build each --platform');
  progress.stage(`building ${name}:${flags.tag} for every platform`);
  let record: ImageIndexRecord | null;
  try {
    record = await builder.getImageIndex(name, flags.tag);
  } catch (error) {
    progress.stop();
    if (error instanceof ImageError) throw cliErrorFromImageError(error);
    throw error;
  }
  if (record === null) throw new CliError(EXIT.failure, `${name} has no image index`);
  for (const o of record.omitted) progress.note(`warning: ${o.platform} left out of the index: ${o.message}`);
  const reference = describeTarget(target, record.name, flags.tag);
  progress.stage(`writing ${reference.transport}:${reference.path}`);
  const index = await builder.getManifest(record.manifests.oci.digest);
  if (index === null)
    throw new CliError(EXIT.failure, `the cache has no index ${record.manifests.oci.digest}`);
  const images = await Promise.all(record.images.map(({ image }) => exportableImage(builder, image, 'oci')));
  try {
    await writeOciIndexLayout(
      target.dir,
      reference.reference,
      { bytes: index.bytes, digest: record.manifests.oci.digest, mediaType: index.mediaType },
      images,
      builder.storage,
    );
  } catch (error) {
    progress.stop();
    throw new CliError(EXIT.failure, `writing ${flags.out} failed: ${(error as Error).message}`);
  }
  progress.done(`wrote an index of ${record.images.length} platforms`);
  if (flags.json) {
    const report: IndexBuildReport = {
      ...record,
      tag: flags.tag,
      output: reference,
      images: record.images.map(({ platform, image }) => ({ platform: platformName(platform), image })),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${reference.transport}:${reference.path}:${reference.reference} ${record.manifests.oci.digest}\n`,
    );
  }
}

function describeTarget(target: OutputTarget, name: string, tag: string): BuildReport['output'] {
  return target.kind === 'oci'
    ? { transport: 'oci', path: target.dir, reference: target.tag ?? tag }
    : { transport: 'docker-archive', path: target.file, reference: target.reference ?? `${name}:${tag}` };
}

async function exportableImage(
  builder: ImageBuilder,
  record: ImageRecord,
  kind: OutputTarget['kind'],
): Promise<ExportableImage> {
  // An OCI layout holds the OCI manifest; docker load reads only manifest.json and the blobs.
  const ref = kind === 'oci' ? record.manifests.oci : record.manifests.docker;
  const stored = await builder.getManifest(ref.digest);
  if (stored === null)
    throw new CliError(
      EXIT.failure,
      `the cache has no manifest ${ref.digest}; remove the cache folder and build again`,
    );
  return {
    manifest: { bytes: stored.bytes, digest: ref.digest, mediaType: stored.mediaType },
    config: record.config,
    layers: record.layers.map(({ digest, size }) => ({ digest, size })),
  };
}

function buildEventReporter(progress: Progress, verbose: boolean): (event: BuilderEvent) => void {
  let layersSeen = 0;
  return (event) => {
    switch (event.type) {
      case 'manifest-cache':
        if (event.hit) progress.note('image found in the cache');
        break;
      case 'nix-log':
        if (verbose) progress.note(`nix: ${event.line}`);
        break;
      case 'layer-cache':
        if (layersSeen === 0) progress.stage('writing layers');
        layersSeen++;
        break;
      case 'build-end':
        progress.done(
          `built in ${event.timings.totalMs} ms (Nix ${event.timings.nixMs} ms, layers ${event.timings.layersMs} ms; ` +
            `${event.timings.layersWritten} written, ${event.timings.layersReused} reused)`,
        );
        break;
      case 'build-start':
        progress.stage(`running Nix for ${event.image}`);
        break;
      case 'build-failed':
        break;
    }
  };
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

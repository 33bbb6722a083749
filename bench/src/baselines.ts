import { inCommandShell, settleDisk, writePathList } from './processes.js';

/**
 * Wall time of `tar -c --sort=name <paths> | <compressor> | sha256sum`: the same work as a layer
 * (reproducible tar, gzip, a digest) done by the standard tools, as the baseline for our figures.
 * Run and timed by the command shell, so builds timed later in this process follow no fork; it
 * starts, as the builds do, from the paths read into the page cache and the disk settled.
 */
export async function tarPipelineMs(
  storePaths: string[],
  compressor: string,
  listFile: string,
): Promise<number> {
  await writePathList(storePaths, listFile);
  await settleDisk(storePaths);
  const ms = await inCommandShell(
    `set -o pipefail; tar -c --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C / -T "${listFile}" | ${compressor} | sha256sum`,
  );
  return Math.round(ms);
}

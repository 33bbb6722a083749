import { writeFile } from 'node:fs/promises';
import { run } from './processes.js';

/**
 * Wall time of `tar -c --sort=name <paths> | <compressor> | sha256sum`: the same work as a layer
 * (reproducible tar, gzip, a digest) done by the standard tools, as the baseline for our figures.
 */
export async function tarPipelineMs(
  storePaths: string[],
  compressor: string,
  listFile: string,
): Promise<number> {
  await writeFile(listFile, storePaths.map((p) => p.replace(/^\//, '')).join('\n'));
  const { ms } = await run('bash', [
    '-o',
    'pipefail',
    '-c',
    `tar -c --sort=name --owner=0 --group=0 --numeric-owner --mtime=@1 -C / -T "${listFile}" | ${compressor} | sha256sum >/dev/null`,
  ]);
  return Math.round(ms);
}

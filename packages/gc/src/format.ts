import type { GcReport } from './collect.js';

/** The report as a few lines of text: what stayed, what went (or would), bytes freed. */
export function formatGcReport(report: GcReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${report.dryRun ? 'dry run: nothing was deleted' : 'garbage collection'} at ${report.startedAt}`,
    `images: ${report.images.kept} kept, ${report.images.expired} expired`,
    `manifests: ${report.manifests.kept} kept, ${verb} ${report.manifests.deleted}`,
    `image records: ${report.imageRecords.kept} kept, ${verb} ${report.imageRecords.deleted}`,
    `blobs: ${report.blobs.kept} kept (${bytes(report.blobs.keptBytes)}; ${report.blobs.fresh} unreferenced but within the grace period), ${verb} ${report.blobs.deleted} (${bytes(report.blobs.deletedBytes)})`,
    `other objects ${verb}: ${report.objectsDeleted.referrers} referrer lists, ${report.objectsDeleted.served} served records, ${report.objectsDeleted['layer-entry']} layer-cache entries`,
  ];
  if (report.rescued > 0)
    lines.push(`kept because a build wrote or used them while gc ran: ${report.rescued}`);
  return `${lines.join('\n')}\n`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]} (${n} bytes)`;
}

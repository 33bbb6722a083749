import { describeProblem } from './problems.js';
import type { VerifyReport } from './verify.js';

/** A human-readable summary: counts, then one line per problem and per repair. */
export function formatReport(report: VerifyReport): string {
  const lines = [
    `blobs checked: ${report.blobs.checked} (${report.blobs.bytes} bytes intact)`,
    `layer cache entries checked: ${report.layerEntries.checked}`,
    `manifests checked: ${report.manifests.checked}`,
    `referrer lists checked: ${report.referrers.checked}`,
    `manifest cache entries checked: ${report.imageRecords.checked}`,
  ];
  if (report.gcRoots) {
    const { parent, live, stale, foreign } = report.gcRoots;
    lines.push(
      `GC-root folders in ${parent}: ${live} live${live > 0 ? ' (a build is running on this host)' : ''}, ${stale} stale, ${foreign} of other hosts`,
    );
  }
  if (report.problems.length === 0) lines.push('no problems found');
  else {
    lines.push(`${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found:`);
    for (const problem of report.problems) lines.push(`  - ${describeProblem(problem)}`);
  }
  if (report.repaired) {
    lines.push(`repairs: ${report.repairs.length}`);
    for (const r of report.repairs)
      lines.push(`  - ${r.action === 'delete-blob' ? 'deleted blob' : 'deleted'} ${r.target}`);
    const age = report.stagingMinAgeMs ?? 0;
    lines.push(
      `staging leftovers removed: ${report.stagingRemoved} (${age === 0 ? 'of any age: no build is running on this host' : `older than ${Math.round(age / 1000)} s: a build is running on this host, or that is unknown`})`,
    );
    lines.push(`stale GC-root folders removed: ${report.gcRootFoldersRemoved}`);
  }
  return `${lines.join('\n')}\n`;
}

/** True when the storage needs attention: problems found and not repaired. */
export function needsAttention(report: VerifyReport): boolean {
  return report.problems.length > 0 && !report.repaired;
}

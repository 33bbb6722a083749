// Prints the closing line over all suites from vitest's JSON report, counting each failed static
// check (build, lint, typecheck) and a vitest run that crashed without a report as failures.
import { readFileSync } from 'node:fs';

const [reportPath, failedChecksText, vitestStatusText] = process.argv.slice(2);
const failedChecks = Number(failedChecksText ?? 0);
const vitestStatus = Number(vitestStatusText ?? 0);

let passed = 0;
let failed = failedChecks;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests;
  failed += report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
  // A suite that failed to load has no failed test but must still fail the run.
  const brokenSuites = report.testResults.filter(
    (r) => r.status === 'failed' && r.assertionResults.length === 0,
  );
  failed += brokenSuites.length;
} catch {
  failed += 1;
}
if (vitestStatus !== 0 && failed === 0) failed = 1;

// The last line is exactly "N passed, N failed"; skipped tests are reported on the line before.
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

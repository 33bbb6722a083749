import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Builds apps/cli/dist and the workspace packages it loads, as a user's `pnpm build` would. */
export default function buildCli(): void {
  // For a caller that has just built everything (CI after `pnpm build`), skip the second build.
  if (process.env.NIXERY_CLI_PREBUILT === '1') return;
  execFileSync('pnpm', ['turbo', 'run', 'build', '--filter', '@nixery/cli', '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
}

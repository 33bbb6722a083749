// `pnpm bench` (or `node --import tsx src/main.ts [--smoke]` in bench/, after `pnpm build`):
// runs every benchmark, writes results/latest.json and results/latest.md, prints the table.
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileFor, SECTIONS } from './profile.js';
import { renderMarkdown } from './results.js';
import { runBenchmarks } from './run.js';

const profile = profileFor(process.argv.slice(2), process.env);
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const workDir = process.env.BENCH_WORK_DIR ?? join(tmpdir(), 'nixery-bench');
const log = (line: string) => process.stderr.write(`${line}\n`);

log(`nixery benchmarks, ${profile.mode} mode (work directory ${workDir})`);
const results = await runBenchmarks(profile, { workDir, log });
const markdown = renderMarkdown(results);
// A run of some sections only must not replace the full run's table.
const partial = profile.sections.length < SECTIONS.length;
const name = profile.mode === 'smoke' ? 'smoke' : partial ? 'sections' : 'latest';
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(resultsDir, `${name}.md`), markdown);
process.stdout.write(markdown);

// Prints the layer-reuse table: `node --conditions=source --import tsx src/reuse-main.ts [seeds] [--json]`.
import { runReuseBenchmark } from './reuse.js';

const args = process.argv.slice(2);
const seeds = args.find((a) => /^[0-9]+$/.test(a));
const results = await runReuseBenchmark(seeds === undefined ? {} : { seeds: Number(seeds) });
console.log(args.includes('--json') ? JSON.stringify(results, null, 2) : results.markdown);

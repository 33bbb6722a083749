// Prints the layer-reuse table:
//   node --conditions=source --import tsx src/reuse-main.ts [seeds] [--json] [--timing [sizes…]]
// --timing also times every strategy on bench/src/grouping.ts's synthetic closures (100k paths by default).
import { runReuseBenchmark } from './reuse.js';
import { timeStrategies, timingMarkdown } from './reuse-timing.js';

const args = process.argv.slice(2);
const timingAt = args.indexOf('--timing');
const numbers = (list: string[]) => list.filter((a) => /^[0-9]+$/.test(a)).map(Number);
const seeds = numbers(timingAt === -1 ? args : args.slice(0, timingAt))[0];
const results = await runReuseBenchmark(seeds === undefined ? {} : { seeds });
console.log(args.includes('--json') ? JSON.stringify(results, null, 2) : results.markdown);
if (timingAt !== -1) {
  const sizes = numbers(args.slice(timingAt + 1));
  console.log(`\n${timingMarkdown(timeStrategies(sizes.length > 0 ? sizes : [100_000]))}`);
}

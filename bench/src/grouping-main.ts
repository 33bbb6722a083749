// Prints the grouping-scale benchmark: `node --conditions=source --import tsx src/grouping-main.ts [sizes…]`.
import { benchmarkGrouping, formatGroupingBenchmark } from './grouping.js';

const sizes = process.argv.slice(2).map(Number);
const result = benchmarkGrouping(sizes.length > 0 ? { sizes } : {});
console.log(formatGroupingBenchmark(result));

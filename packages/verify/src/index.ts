export { formatReport, needsAttention } from './format.js';
export { hashStoredBlob } from './hash-blob.js';
export type { GcRootCensus } from './leftovers.js';
export { describeProblem, type ObjectProblem, type Problem, type Repair } from './problems.js';
export { type VerifyOptions, type VerifyReport, verifyStorage } from './verify.js';

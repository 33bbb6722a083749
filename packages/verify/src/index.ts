export { formatReport, needsAttention } from './format.js';
export { hashStoredBlob } from './hash-blob.js';
export { describeProblem, type Problem, type Repair } from './problems.js';
export { type VerifyOptions, type VerifyReport, verifyStorage } from './verify.js';

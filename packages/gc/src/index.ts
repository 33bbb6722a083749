export { collectGarbage, type GcOptions, type GcReport } from './collect.js';
export { formatGcReport } from './format.js';
export { type PeriodicGcOptions, startPeriodicGc } from './periodic.js';
export { type GcPlan, type GcPolicy, type Inventory, planCollection } from './plan.js';
export { ServedRecorder, type ServedRecorderOptions } from './served.js';

export { registerVerify } from './commands/verify.js';
export { buildProgram } from './program.js';

/** Input an SBOM cannot be made from (a malformed hash, a reference outside the closure). */
export class SbomError extends Error {
  override readonly name = 'SbomError';
}

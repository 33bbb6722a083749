/** Why an input to the layering was rejected. */
export type LayersErrorCode =
  | 'INVALID_JSON' // the text is not JSON at all
  | 'INVALID_SHAPE' // a field is missing or has the wrong type
  | 'BAD_NUMBER' // a size or count is not a non-negative safe integer
  | 'DUPLICATE_PATH' // the same store path appears twice in the graph
  | 'MISSING_REFERENCE' // a path references a path that is not in the graph
  | 'UNKNOWN_TOP_LEVEL' // a requested path is not in the graph
  | 'CYCLE' // references form a cycle (self references excepted)
  | 'INVALID_POPULARITY' // a popularity file is malformed
  | 'INVALID_OPTION'; // a grouping option is out of range

/**
 * The one error type this package throws for bad input. `path` names the store path (or
 * popularity key, or option) at fault when there is one; `cycle` lists a cycle's paths in order.
 */
export class LayersError extends Error {
  override readonly name = 'LayersError';
  readonly code: LayersErrorCode;
  readonly path: string | undefined;
  readonly cycle: readonly string[] | undefined;

  constructor(
    code: LayersErrorCode,
    message: string,
    details: { path?: string; cycle?: readonly string[] } = {},
  ) {
    super(message);
    this.code = code;
    this.path = details.path;
    this.cycle = details.cycle;
  }
}

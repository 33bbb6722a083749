/**
 * What a client got wrong in its request. `reason` says which mistake it was; how that is
 * reported (an HTTP status, an exit code) is the caller's business.
 */
export type RequestErrorReason = 'invalid-name' | 'invalid-tag' | 'tag-not-served';

export class RequestError extends Error {
  readonly reason: RequestErrorReason;
  constructor(reason: RequestErrorReason, message: string) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
  }
}

/** The repository name is not a valid image name (syntax, length, package count). */
export class ImageNameError extends RequestError {
  constructor(message: string) {
    super('invalid-name', message);
  }
}

/** The tag is not valid (`invalid-tag`), or this instance's package source does not serve it. */
export class TagError extends RequestError {
  constructor(reason: 'invalid-tag' | 'tag-not-served', message: string) {
    super(reason, message);
  }
}

/** The server's configuration is wrong; `problems` lists every mistake, one message each. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

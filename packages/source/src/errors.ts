/**
 * Errors a client can cause with its request. `code` is the OCI distribution error code the
 * registry answers with, so the HTTP layer never has to guess.
 */
export type RequestErrorCode = 'NAME_INVALID' | 'TAG_INVALID' | 'MANIFEST_UNKNOWN';

export class RequestError extends Error {
  readonly code: RequestErrorCode;
  constructor(code: RequestErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The repository name is not a valid image name (syntax, length, package count). */
export class ImageNameError extends RequestError {
  constructor(message: string) {
    super('NAME_INVALID', message);
  }
}

/** The tag is not valid, syntactically or for the configured package source. */
export class TagError extends RequestError {
  constructor(code: 'TAG_INVALID' | 'MANIFEST_UNKNOWN', message: string) {
    super(code, message);
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

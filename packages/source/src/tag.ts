import { TagError } from './errors.js';

const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Throws TagError (invalid-tag) unless `tag` matches the distribution spec's tag grammar. */
export function validateTag(tag: string): string {
  if (!isValidTag(tag)) {
    throw new TagError(
      'invalid-tag',
      `invalid tag ${JSON.stringify(tag)}: tags are 1 to 128 characters of [a-zA-Z0-9._-] and do not start with '.' or '-'`,
    );
  }
  return tag;
}

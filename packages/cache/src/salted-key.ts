import { sha256Hex } from '@nixery/digest';

/**
 * A cache key told apart by the settings a value was made under (a grouping strategy, a gzip
 * level): the same input under other settings is another value. An empty salt keeps the key
 * itself, so keys from before a setting existed still hold for its default.
 */
export function saltedKey(key: string, salt: string): string {
  return salt === '' ? key : sha256Hex(`${key}\0${salt}`);
}

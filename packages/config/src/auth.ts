import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS } from './table.js';
import { type Env, value } from './values.js';

/** Access control from an htpasswd file; null (no NIXERY_AUTH_FILE) keeps the registry anonymous. */
export interface AuthConfig {
  /** Absolute path of the htpasswd file. */
  file: string;
  /** Realm named in the `WWW-Authenticate: Basic realm="…"` challenge. */
  realm: string;
  /** User name → bcrypt hash, as read when the configuration was loaded. */
  users: ReadonlyMap<string, string>;
}

/** `$2a$`, `$2b$` or `$2y$` (all the same algorithm for our purpose), cost 04–31, 22+31 chars. */
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const REALM = /^[\x20-\x7e]{1,128}$/;

/** NIXERY_AUTH_FILE (read and checked now) and NIXERY_AUTH_REALM; null keeps the registry anonymous. */
export function authSetting(env: Env, problems: string[]): AuthConfig | null {
  const file = value(env, 'authFile');
  const realm = value(env, 'authRealm');
  if (realm !== undefined && (!REALM.test(realm) || /["\\]/.test(realm))) {
    problems.push(
      `NIXERY_AUTH_REALM=${JSON.stringify(realm)} must be 1 to 128 printable ASCII characters without quotes or backslashes`,
    );
  }
  if (file === undefined) {
    if (realm !== undefined) problems.push('NIXERY_AUTH_REALM is set but NIXERY_AUTH_FILE is not');
    return null;
  }
  const path = resolve(file);
  const users = readHtpasswd(path, problems);
  return users === null ? null : { file: path, realm: realm ?? SETTINGS.authRealm.default, users };
}

/**
 * Reads an htpasswd file whose entries are bcrypt hashes (`htpasswd -B`). Blank lines and lines
 * starting with `#` are skipped. Problems name the line and user, never the hash.
 */
function readHtpasswd(path: string, problems: string[]): Map<string, string> | null {
  const where = `NIXERY_AUTH_FILE ${JSON.stringify(path)}`;
  let text: string;
  try {
    if (!statSync(path).isFile()) {
      problems.push(`${where} is not a regular file`);
      return null;
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT' ? `${where} does not exist` : `${where} cannot be read (${code ?? 'error'})`,
    );
    return null;
  }
  const users = new Map<string, string>();
  const before = problems.length;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const at = `${where} line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`${at} is not of the form user:hash`);
      return;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (users.has(user)) {
      problems.push(`${at} repeats user ${JSON.stringify(user)}`);
    } else if (!BCRYPT_HASH.test(hash)) {
      problems.push(
        `${at} (user ${JSON.stringify(user)}) has ${describeHashScheme(hash)}; only bcrypt entries are accepted (write them with htpasswd -B)`,
      );
    } else {
      users.set(user, hash);
    }
  });
  if (problems.length > before) return null;
  if (users.size === 0) {
    problems.push(`${where} has no users`);
    return null;
  }
  return users;
}

function describeHashScheme(hash: string): string {
  if (hash.startsWith('$apr1$')) return 'an MD5 (apr1) hash';
  if (hash.startsWith('{SHA}')) return 'a SHA-1 hash';
  if (/^\$[156]\$/.test(hash)) return 'a crypt(3) MD5/SHA-2 hash';
  if (/^\$2[aby]?\$/.test(hash)) return 'a malformed bcrypt hash';
  return 'a plain-text or DES crypt password';
}

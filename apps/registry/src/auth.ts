import type { Config } from '@nixery/source';
import type { Request, Response } from 'express';
import { basicChallenge, parseBasicAuthorization } from './auth-basic.js';
import { PasswordVerifier, type PasswordVerifierOptions } from './auth-verifier.js';
import { RegistryError } from './errors.js';

/** Access control for a private instance: HTTP Basic against the users of an htpasswd file. */
export interface AccessControl {
  /** Null lets the request through; otherwise a 401 to send (the challenge header is already set). */
  authorize(req: Request, res: Response): Promise<RegistryError | null>;
}

export function createAccessControl(
  auth: Pick<NonNullable<Config['auth']>, 'realm' | 'users'>,
  options: PasswordVerifierOptions = {},
): AccessControl {
  const verifier = new PasswordVerifier(auth.users, options);
  const challenge = basicChallenge(auth.realm);
  return {
    async authorize(req, res) {
      const credentials = parseBasicAuthorization(req.headers.authorization);
      if (credentials !== null && (await verifier.verify(credentials.user, credentials.password))) {
        return null;
      }
      res.setHeader('WWW-Authenticate', challenge);
      return credentials === null
        ? new RegistryError(401, 'UNAUTHORIZED', 'authentication required')
        : new RegistryError(401, 'UNAUTHORIZED', 'invalid user name or password');
    },
  };
}

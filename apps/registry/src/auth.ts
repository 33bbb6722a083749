import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '@nixery/config';
import { basicChallenge, parseBasicAuthorization } from './auth-basic.js';
import { FailureThrottle, type FailureThrottleOptions, TooManyAttemptsError } from './auth-throttle.js';
import { PasswordVerifier, type PasswordVerifierOptions } from './auth-verifier.js';
import { BcryptPoolBusyError } from './bcrypt-pool.js';
import { clientKey } from './client-address.js';
import { RegistryError } from './errors.js';

/** Access control for a private instance: HTTP Basic against the users of an htpasswd file. */
export interface AccessControl {
  /**
   * Null lets the request through; otherwise the error to send: a 401 (the challenge header is
   * already set) or a 429 for an address that failed too often (`Retry-After` is set).
   */
  authorize(req: IncomingMessage, res: ServerResponse): Promise<RegistryError | null>;
  /** Stops the bcrypt worker threads. */
  close(): Promise<void>;
}

export interface AccessControlOptions extends PasswordVerifierOptions {
  throttle?: FailureThrottleOptions;
}

export function createAccessControl(
  auth: Pick<NonNullable<Config['auth']>, 'realm' | 'users'>,
  options: AccessControlOptions = {},
): AccessControl {
  const verifier = new PasswordVerifier(auth.users, options);
  const throttle = new FailureThrottle(options.throttle);
  const challenge = basicChallenge(auth.realm);
  return {
    async authorize(req, res) {
      const credentials = parseBasicAuthorization(req.headers.authorization);
      if (credentials !== null) {
        const gate = throttle.forAddress(clientKey(req.socket.remoteAddress));
        try {
          if (await verifier.verify(credentials.user, credentials.password, gate)) return null;
        } catch (error) {
          if (error instanceof TooManyAttemptsError)
            return tooMany(res, error.retryAfterSeconds, error.message);
          if (error instanceof BcryptPoolBusyError) {
            return tooMany(res, 1, 'too many sign-in attempts are waiting; retry in 1 s');
          }
          throw error;
        }
      }
      res.setHeader('WWW-Authenticate', challenge);
      return credentials === null
        ? new RegistryError('unauthenticated', 'authentication required')
        : new RegistryError('unauthenticated', 'invalid user name or password');
    },
    close: () => verifier.close(),
  };
}

function tooMany(res: ServerResponse, retryAfterSeconds: number, message: string): RegistryError {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  return new RegistryError('throttled', message, { retryAfterSeconds });
}

import { describe, expect, test } from 'vitest';
import { basicChallenge, parseBasicAuthorization } from '../src/auth-basic.js';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  test('reads user and password; the password may contain colons', () => {
    expect(parseBasicAuthorization(basic('alice:correct horse'))).toEqual({
      user: 'alice',
      password: 'correct horse',
    });
    expect(parseBasicAuthorization(basic('bob:s3cr:t pass'))).toEqual({
      user: 'bob',
      password: 's3cr:t pass',
    });
    expect(parseBasicAuthorization(basic('carol:'))).toEqual({ user: 'carol', password: '' });
  });

  test('the scheme is case-insensitive and UTF-8 is decoded', () => {
    const token = Buffer.from('zoë:pässwörd').toString('base64');
    expect(parseBasicAuthorization(`bAsIc ${token}`)).toEqual({ user: 'zoë', password: 'pässwörd' });
  });

  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['another scheme', 'Bearer abc.def'],
    ['no token', 'Basic '],
    ['not base64', 'Basic not*base64!'],
    ['bad padding', 'Basic YWxpY2U6eA'],
    ['no colon', basic('alice')],
    ['empty user', basic(':password')],
    ['two tokens', `${basic('a:b')} extra`],
  ])('%s gives null', (_label, header) => {
    expect(parseBasicAuthorization(header)).toBeNull();
  });
});

describe('basicChallenge', () => {
  test('names the realm and the charset (RFC 7617)', () => {
    expect(basicChallenge('Acme images')).toBe('Basic realm="Acme images", charset="UTF-8"');
  });
});

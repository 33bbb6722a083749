import { describe, expect, test } from 'vitest';
import { redactCredentials } from '../src/auth-redact.js';

describe('redactCredentials', () => {
  test('hides credential headers without touching the original headers', () => {
    const headers = { authorization: 'Basic YWxpY2U6eA==', 'proxy-authorization': 'Basic eA==', host: 'h' };
    const serialized = { id: 1, headers };
    expect(redactCredentials(serialized)).toEqual({
      id: 1,
      headers: { authorization: '[redacted]', 'proxy-authorization': '[redacted]', host: 'h' },
    });
    expect(headers.authorization).toBe('Basic YWxpY2U6eA==');
  });

  test('leaves requests without credentials as they are', () => {
    const serialized = { headers: { host: 'h' } };
    expect(redactCredentials(serialized)).toBe(serialized);
  });
});

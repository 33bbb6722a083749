import { describe, expect, test } from 'vitest';
import { redactUrl } from '../src/auth-redact.js';
import { splitRequestTarget } from '../src/request-target.js';

describe('splitRequestTarget', () => {
  test.each([
    ['/v2/', { path: '/v2/', query: null }],
    ['/v2/hello/manifests/latest?x=1&y', { path: '/v2/hello/manifests/latest', query: 'x=1&y' }],
    ['/v2/%2e%2e/manifests/latest', { path: '/v2/%2e%2e/manifests/latest', query: null }],
    ['http://a:b@127.0.0.1:5000/v2/x?q=1', { path: '/v2/x', query: 'q=1' }],
    ['HTTPS://host', { path: '/', query: null }],
    ['http://host?q', { path: '/', query: 'q' }],
    ['/v2/#frag?x', { path: '/v2/', query: null }],
    ['*', { path: '*', query: null }],
  ])('%s', (target, expected) => {
    expect(splitRequestTarget(target)).toEqual(expected);
  });
});

describe('redactUrl', () => {
  test.each([
    ['/v2/', '/v2/'],
    ['/v2/?a=1&b=&c', '/v2/?a=[redacted]&b=[redacted]&c'],
    ['http://u:p@h/x', 'http://[redacted]@h/x'],
    ['http://u@h:1/x?t=s', 'http://[redacted]@h:1/x?t=[redacted]'],
    ['http://h/x', 'http://h/x'],
    ['http://a:b@c@h/', 'http://[redacted]@h/'],
    ['/x#secret', '/x#[redacted]'],
    ['/x?t=a=b', '/x?t=[redacted]'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

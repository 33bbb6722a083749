import { describe, expect, test } from 'vitest';
import { parseRange } from '../src/range.js';

describe('parseRange', () => {
  const size = 2000;
  test.each([
    [undefined, { kind: 'none' }],
    ['bytes=500-1499', { kind: 'range', start: 500, end: 1499 }],
    ['bytes=500-', { kind: 'range', start: 500, end: 1999 }],
    ['bytes=-500', { kind: 'range', start: 1500, end: 1999 }],
    ['bytes=-5000', { kind: 'range', start: 0, end: 1999 }],
    ['bytes=0-99999', { kind: 'range', start: 0, end: 1999 }],
    ['bytes=1999-1999', { kind: 'range', start: 1999, end: 1999 }],
    ['bytes=2000-', { kind: 'unsatisfiable' }],
    ['bytes=2000-3000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=10-5', { kind: 'none' }],
    ['bytes=0-1,5-6', { kind: 'none' }],
    ['items=0-1', { kind: 'none' }],
    ['bytes=-', { kind: 'none' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
  ])('%s', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  test('an empty blob satisfies no range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

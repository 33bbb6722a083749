import { describe, expect, test } from 'vitest';
import { profileFor } from '../src/profile.js';
import { withTarget } from '../src/results.js';
import { median, ratio, round } from '../src/stats.js';

describe('figures and statistics', () => {
  test('withTarget checks ratios and values against the limit', () => {
    const base = { section: 's', name: 'n', unit: 'ms', value: 130, ratio: 1.3 };
    expect(withTarget(base, '≤ 1.3', 'ratio').met).toBe(true);
    expect(withTarget({ ...base, ratio: 1.31 }, '≤ 1.3', 'ratio').met).toBe(false);
    expect(withTarget(base, '< 1', 'ratio').met).toBe(false);
    expect(withTarget(base, '≥ 0.8', 'ratio').met).toBe(true);
    expect(withTarget(base, '< 200', 'value').met).toBe(true);
    expect(withTarget({ ...base, value: 200 }, '< 200', 'value').met).toBe(false);
    // No ratio to judge (a peer was skipped): the target is shown, not judged.
    expect(withTarget({ ...base, ratio: undefined }, '≤ 1.1', 'ratio').met).toBeUndefined();
  });

  test('median, round and ratio', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
    expect(round(1234.5678)).toBe(1235);
    expect(round(0.0123456)).toBe(0.0123);
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 0)).toBeNaN();
  });

  test('the smoke profile is chosen by flag or environment', () => {
    expect(profileFor(['--smoke'], {}).mode).toBe('smoke');
    expect(profileFor([], { BENCH_SMOKE: '1' }).mode).toBe('smoke');
    expect(profileFor([], { BENCH_SMOKE: '0' }).mode).toBe('full');
    expect(profileFor([], {}).mode).toBe('full');
  });

  test('--only= picks sections; those that pull the cold-build image bring it along', () => {
    expect(profileFor(['--only=s3'], {}).sections).toEqual(['cold', 's3']);
    expect(profileFor([], { BENCH_ONLY: 'scaling, warm' }).sections).toEqual(['cold', 'warm', 'scaling']);
    expect(profileFor(['--smoke', '--only=real'], {}).sections).toEqual(['real']);
    expect(() => profileFor(['--only=s4'], {})).toThrow(/unknown benchmark section "s4"/);
  });
});

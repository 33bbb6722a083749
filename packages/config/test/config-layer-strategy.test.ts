import { GROUPING_STRATEGY_NAMES } from '@nixery/layers';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../src/index.js';
import { configProblems as problems } from './support/problems.js';

const base = { STORAGE_PATH: '/var/lib/nixery' };

describe('NIXERY_LAYER_STRATEGY', () => {
  test('defaults to the stable grouping, the default of @nixery/layers', () => {
    expect(loadConfig({ env: base }).layerStrategy).toBe('stable');
    expect(loadConfig({ env: { ...base, NIXERY_LAYER_STRATEGY: '  ' } }).layerStrategy).toBe('stable');
  });

  test.each(GROUPING_STRATEGY_NAMES)('accepts %s', (name) => {
    expect(loadConfig({ env: { ...base, NIXERY_LAYER_STRATEGY: name } }).layerStrategy).toBe(name);
    expect(loadConfig({ env: { ...base, NIXERY_LAYER_STRATEGY: ` ${name} ` } }).layerStrategy).toBe(name);
  });

  test('an unknown name is a problem that lists the strategies, with the other problems', () => {
    const found = problems({ NIXERY_LAYER_STRATEGY: 'Nixery', PORT: 'x' });
    expect(found).toContain(
      `NIXERY_LAYER_STRATEGY="Nixery" is not a layer grouping strategy; use one of 'nixery', 'stable'`,
    );
    expect(found.some((p) => p.startsWith('PORT='))).toBe(true);
    expect(found.some((p) => p.startsWith('STORAGE_PATH'))).toBe(true);
  });
});

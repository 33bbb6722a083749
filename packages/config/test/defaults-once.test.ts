import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { SETTINGS, settingList } from '../src/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every TypeScript source file of the libraries and apps (not tests, not build output). */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const parent of ['packages', 'apps']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(ROOT, parent, entry.name, 'src'));
    }
  }
  return files;
}

/**
 * Code lines (comments left out) that state `value` as a default: next to `default`, after `??`,
 * or next to a word naming the setting.
 */
function defaultStatements(value: number, names: RegExp): string[] {
  const literal = new RegExp(`(?<![\\w.])${value}(?![\\w.])`);
  const found: string[] = [];
  for (const file of sourceFiles()) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        const code = line.trim();
        if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
        // Shell examples in help text show a command line, not a default.
        if (code.startsWith('$ ')) return;
        if (literal.test(code) && (/default|\?\?/i.test(code) || names.test(code))) {
          if (OTHER_MEANINGS.some((other) => other.test(code))) return;
          found.push(`${relative(ROOT, file)}:${index + 1}: ${code}`);
        }
      });
  }
  return found;
}

/** Where each default lives (the library that owns the behaviour, or the table) and its names. */
const HOMES: Record<number, { home: RegExp; names: RegExp }> = {
  [SETTINGS.port.default]: { home: /^packages\/config\/src\/table\.ts:/, names: /port/i },
  [SETTINGS.unpinnedTtl.default]: {
    home: /^packages\/config\/src\/table\.ts:|^packages\/nix\/src\/nix-session\.ts:/,
    names: /timeout|ttl/i,
  },
  [SETTINGS.evalTimeout.default]: { home: /^packages\/nix\/src\/nix-session\.ts:/, names: /timeout|eval/i },
  [SETTINGS.layerBudget.default]: { home: /^packages\/layers\/src\/options\.ts:/, names: /budget/i },
  [SETTINGS.buildQueue.default]: { home: /^packages\/config\/src\/table\.ts:/, names: /queue/i },
  [SETTINGS.shutdownTimeout.default]: {
    home: /^packages\/config\/src\/table\.ts:/,
    names: /shutdown|drain/i,
  },
  [SETTINGS.gzipLevel.default]: { home: /^packages\/archive\/src\/gzip\.ts:/, names: /gzip|compression/i },
};

/** The same number with another meaning: the storages' signed-URL lifetime (300 s). */
const OTHER_MEANINGS = [/^const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;$/];

describe('each default appears once in the source', () => {
  test('the homes cover every numeric default of the table', () => {
    const numeric = settingList().flatMap(([, spec]) =>
      typeof spec.default === 'number' ? [spec.default] : [],
    );
    for (const value of numeric) expect(HOMES).toHaveProperty(String(value));
  });

  for (const [value, { home, names }] of Object.entries(HOMES)) {
    test(`${value} is stated as a default only in its home`, () => {
      const statements = defaultStatements(Number(value), names);
      expect(statements.filter((line) => !home.test(line))).toEqual([]);
      // The home really states it (a check that finds nothing anywhere proves nothing).
      expect(statements.length).toBeGreaterThan(0);
    });
  }
});

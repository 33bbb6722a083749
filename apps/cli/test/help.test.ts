import { describe, expect, test } from 'vitest';
import { runCli } from './support/cli.js';

describe('--help', () => {
  // COLUMNS=100 (support/cli.ts) fixes the wrapping width, so the snapshots are stable.
  for (const command of [[], ['serve'], ['build'], ['layers'], ['popularity'], ['verify'], ['gc']]) {
    test(`nixery ${command.join(' ') || '(top level)'} --help`, async () => {
      const result = await runCli([...command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatchSnapshot();
    });
  }

  test('help wraps to $COLUMNS when stdout is not a terminal', async () => {
    const narrow = await runCli(['build', '--help'], { env: { COLUMNS: '70' } });
    const widths = narrow.stdout.split('\n').map((line) => line.length);
    expect(Math.max(...widths.slice(0, 20))).toBeLessThanOrEqual(70);
  });

  test('--version prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors exit with 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['build without --out', ['build', 'hello'], /required option '-o, --out <target>' not specified/],
    ['build without packages', ['build', '--out', 'oci:x'], /missing required argument 'packages'/],
    [
      'an unknown output transport',
      ['build', 'hello', '--out', 'zip:image.zip'],
      /--out must be oci:DIR\[:TAG\] or docker-archive/,
    ],
    ['an invalid tag in --out', ['build', 'hello', '--out', 'oci:dir:-bad'], /--out oci:dir:-bad/],
    [
      'an unknown architecture',
      ['build', 'hello', '--arch', 'mips', '--out', 'oci:x'],
      /argument 'mips' is invalid/,
    ],
    [
      'a budget out of range',
      ['layers', 'hello', '--budget', '0'],
      /NIXERY_LAYER_BUDGET="0" must be a whole number from 1 to 124/,
    ],
    [
      'two package sources',
      ['build', 'hello', '--out', 'oci:x', '--channel', 'nixos-unstable', '--pkgs-path', '/tmp'],
      /only one package source/,
    ],
    ['layers with neither packages nor --graph', ['layers'], /give either packages or --graph FILE/],
    [
      'layers with a missing graph file',
      ['layers', '--graph', '/nonexistent/graph.json'],
      /--graph: cannot read \/nonexistent\/graph.json/,
    ],
    ['an unknown format', ['layers', 'hello', '--format', 'yaml'], /argument 'yaml' is invalid/],
    ['popularity with nothing to count', ['popularity'], /nothing to count/],
    ['popularity with --attrs and --all', ['popularity', '--attrs', 'hello', '--all'], /not both/],
    ['an invalid image name', ['build', 'Hello World', '--out', 'oci:x'], /invalid image/],
  ];
  for (const [what, args, message] of cases) {
    test(what, async () => {
      const result = await runCli(args);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
    });
  }
});

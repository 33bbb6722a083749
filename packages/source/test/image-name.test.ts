import { describe, expect, test } from 'vitest';
import { ImageNameError, parseImageName } from '../src/index.js';

function nameError(name: string): ImageNameError {
  try {
    parseImageName(name);
  } catch (error) {
    if (error instanceof ImageNameError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be rejected`);
}

describe('parseImageName: Nixery semantics', () => {
  test('plain packages get cacert and iana-etc, sorted', () => {
    expect(parseImageName('hello')).toEqual({
      name: 'hello',
      packages: ['cacert', 'hello', 'iana-etc'],
      arch: 'amd64',
      system: 'x86_64-linux',
    });
  });

  test('shell expands to the interactive tools', () => {
    const request = parseImageName('shell/git/htop');
    expect(request.packages).toEqual([
      'bashInteractive',
      'cacert',
      'coreutils',
      'git',
      'htop',
      'iana-etc',
      'moreutils',
      'nano',
    ]);
    expect(request.name).toBe('shell/git/htop');
  });

  test('shell/arm64 is arm64/shell with the shell packages for aarch64', () => {
    expect(parseImageName('shell/arm64')).toEqual({
      name: 'arm64/shell',
      packages: ['bashInteractive', 'cacert', 'coreutils', 'iana-etc', 'moreutils', 'nano'],
      arch: 'arm64',
      system: 'aarch64-linux',
    });
  });

  test('meta-packages are only meta when leading', () => {
    const request = parseImageName('hello/arm64/shell');
    expect(request.arch).toBe('amd64');
    expect(request.packages).toEqual(['arm64', 'cacert', 'hello', 'iana-etc', 'shell']);
    // Meta-named packages stay behind a real package so the name parses back the same way.
    expect(request.name).toBe('hello/arm64/shell');
    expect(parseImageName(request.name)).toEqual(request);
  });

  test('order of packages does not matter', () => {
    expect(parseImageName('shell/arm64/htop/git')).toEqual(parseImageName('arm64/shell/git/htop'));
    expect(parseImageName('shell/htop/git')).toEqual(parseImageName('shell/git/htop'));
  });

  test('duplicates are removed (Nixery keeps them)', () => {
    expect(parseImageName('git/git').packages).toEqual(['cacert', 'git', 'iana-etc']);
    expect(parseImageName('git/git').name).toBe('git');
    expect(parseImageName('shell/shell/coreutils/bashinteractive').packages).toEqual([
      'bashInteractive',
      'bashinteractive',
      'cacert',
      'coreutils',
      'iana-etc',
      'moreutils',
      'nano',
    ]);
  });

  test('dotted, dashed, underscored and numeric names are valid', () => {
    expect(
      parseImageName('python3packages.requests/haskellpackages.pandoc/1password/iana-etc/a__b').packages,
    ).toEqual([
      '1password',
      'a__b',
      'cacert',
      'haskellpackages.pandoc',
      'iana-etc',
      'python3packages.requests',
    ]);
  });

  test('canonical names are stable under re-parsing', () => {
    for (const name of ['shell/arm64/git', 'zzz/arm64', 'arm64/b/a/shell', 'git/git/shell']) {
      const request = parseImageName(name);
      expect(parseImageName(request.name)).toEqual(request);
    }
  });
});

describe('parseImageName: invalid names', () => {
  test.each([
    ['', /empty/],
    ['Hello', /uppercase/],
    ['shell/Git', /component 2 "Git" contains uppercase/],
    ['a/../b', /component 2 "\.\." contains '\.\.'/],
    ['a..b', /'\.\.'/],
    ['a//b', /component 2 is empty/],
    ['/hello', /component 1 is empty/],
    ['hello/', /component 2 is empty/],
    ['a%2fb', /percent-encoded/],
    ['-hello', /not a valid name component/],
    ['hello-', /not a valid name component/],
    ['he llo', /not a valid name component/],
    ['a"+builtins.abort "x', /not a valid name component/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the name imitates Nix interpolation on purpose
    ['${builtins.abort "x"}', /not a valid name component/],
  ])('%j is rejected', (name, message) => {
    const error = nameError(name);
    expect(error.reason).toBe('invalid-name');
    expect(error.message).toMatch(message);
  });

  test('a component longer than 128 characters is rejected', () => {
    expect(parseImageName('a'.repeat(128)).packages).toContain('a'.repeat(128));
    expect(nameError(`x/${'a'.repeat(129)}`).message).toMatch(
      /component 2 is 129 characters long; at most 128/,
    );
  });

  test('a name longer than 255 characters is rejected', () => {
    const name = `${'a'.repeat(120)}/${'b'.repeat(120)}/${'c'.repeat(20)}`;
    expect(name.length).toBe(262);
    expect(nameError(name).message).toMatch(/262 characters long; at most 255/);
  });

  test('more than 100 packages are rejected', () => {
    const many = Array.from({ length: 500 }, (_, i) => `p${i}`).join('/');
    expect(nameError(many).message).toMatch(/500 components; at most 100 packages/);
    // 255 characters leave room for 100 components only when they are short (and repeated).
    const hundred = Array.from({ length: 100 }, (_, i) => 'abcdefghij'[i % 10]).join('/');
    expect(parseImageName(hundred).packages).toHaveLength(12);
    expect(nameError(`${hundred}/x`).message).toMatch(/101 components/);
  });

  test('several problems are reported together', () => {
    const message = nameError('Abc//x%41').message;
    expect(message).toMatch(/component 1 "Abc" contains uppercase/);
    expect(message).toMatch(/component 2 is empty/);
    expect(message).toMatch(/component 3 "x%41" contains percent-encoded/);
  });
});

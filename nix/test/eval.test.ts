// The package set as data: attribute names, store names, demo markers, systems.
import { beforeAll, describe, expect, test } from 'vitest';
import { smallDemoImages, smallDemoPackages } from '../index.js';
import { listPackages, type PackageEntry, specialAttrs } from './nix.js';

let packages: PackageEntry[];
const byAttr = (attr: string): PackageEntry => {
  const entry = packages.find((p) => p.attr === attr);
  if (entry === undefined) throw new Error(`no attribute ${attr}`);
  return entry;
};

beforeAll(async () => {
  packages = await listPackages();
});

describe('the demo package set, evaluated', () => {
  test('has the attributes Nixery users rely on, with nixpkgs store names', () => {
    const expected: Record<string, string> = {
      bashInteractive: 'bash-interactive-5.2p26',
      coreutils: 'coreutils-9.5',
      moreutils: 'moreutils-0.69',
      nano: 'nano-7.2',
      cacert: 'nss-cacert-3.98',
      'iana-etc': 'iana-etc-20240318',
      hello: 'hello-2.12.1',
      zlib: 'zlib-1.3.1',
      glibc: 'glibc-2.39',
    };
    for (const [attr, name] of Object.entries(expected)) {
      expect(byAttr(attr).name, attr).toBe(name);
    }
  });

  test('has at least 20 packages besides the required seven and the test-only ones', () => {
    const required = ['bashInteractive', 'coreutils', 'moreutils', 'nano', 'cacert', 'iana-etc', 'hello'];
    const others = packages.filter((p) => !required.includes(p.attr) && !specialAttrs.includes(p.attr));
    expect(others.length).toBeGreaterThanOrEqual(20);
    for (const attr of ['git', 'htop', 'curl', 'jq', 'vim', 'python3', 'openssl', 'ncurses', 'readline']) {
      expect(byAttr(attr).name.startsWith(`${attr}-`), attr).toBe(true);
    }
  });

  test('has nested package sets and a digit-leading name under a `_` attribute', () => {
    expect(byAttr('python3Packages.requests').name).toBe('python3.11-requests-2.31.0');
    expect(byAttr('python3Packages.numpy').name).toBe('python3.11-numpy-1.26.4');
    expect(byAttr('haskellPackages.pandoc').name).toBe('pandoc-3.1.11');
    expect(byAttr('haskellPackages.ShellCheck').name).toBe('ShellCheck-0.9.0');
    expect(byAttr('_1password').name).toMatch(/^1password/);
  });

  test('store names are version-suffixed', () => {
    for (const p of packages) {
      // nixpkgs' rule (builtins.parseDrvName): the version starts after the first "-<digit>".
      expect(p.name, p.attr).toMatch(/^[A-Za-z0-9_+.]+(-[A-Za-z][A-Za-z0-9_+.]*)*-[0-9][A-Za-z0-9_+.-]*$/);
    }
  });

  test('every package says it is a demo build', () => {
    for (const p of packages) {
      expect(p.description, p.attr).toMatch(/^demo build: /);
    }
  });

  test('the small packages the storms pull are attributes of the set, paired into distinct images', () => {
    for (const attr of smallDemoPackages) expect(byAttr(attr).available, attr).toBe(true);
    const images = smallDemoImages(40);
    expect(new Set(images).size).toBe(40);
    for (const image of images) {
      const [a, b] = image.split('/');
      expect([a, b], image).toEqual([a, b].sort());
      expect(a, image).not.toBe(b);
      expect(image.startsWith('shell/'), image).toBe(false);
    }
    expect(() => smallDemoImages(10_000)).toThrow(RangeError);
  });

  test('no two attributes at one level differ only in case (registry names are lowercase)', () => {
    const lowered = packages.map((p) => p.attr.toLowerCase());
    expect(new Set(lowered).size).toBe(lowered.length);
  });

  test('every derivation is for the requested system, foreign ones included', async () => {
    const host = process.arch === 'arm64' ? 'aarch64-linux' : 'x86_64-linux';
    for (const p of packages) expect(p.system, p.attr).toBe(host);
    for (const p of packages) expect(p.available, p.attr).toBe(true);
    const foreign = await listPackages({ system: 'aarch64-linux' });
    expect(foreign.length).toBe(packages.length);
    // Data-only packages are the build machine's derivations on every system (nix/README.md).
    const dataOnly = host === 'aarch64-linux' ? [] : ['cacert', 'iana-etc'];
    for (const p of foreign) {
      expect(p.system, p.attr).toBe(dataOnly.includes(p.attr) ? host : 'aarch64-linux');
    }
  });

  test('evaluating twice gives the same derivations and output paths', async () => {
    const again = await listPackages();
    expect(again).toEqual(packages);
  });

  test('slowDemo takes its duration as an argument', async () => {
    const slowDemoFor = async (slowSeconds: string) =>
      (await listPackages({ slowSeconds })).find((p) => p.attr === 'slowDemo')?.out;
    const five = await slowDemoFor('5');
    expect(five).toMatch(/^\/nix\/store\/[0-9a-z]{32}-slow-demo-1\.0$/);
    expect(five).not.toBe(await slowDemoFor('6'));
    // Everything else stays the same.
    const others = (await listPackages({ slowSeconds: '5' })).filter((p) => p.attr !== 'slowDemo');
    expect(others).toEqual(packages.filter((p) => p.attr !== 'slowDemo'));
  });
});

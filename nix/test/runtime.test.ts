// The outputs really run on their own: programs are started with chroot in a root that holds
// only their closure, with an empty environment, and no file points back at the host.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ClosureRoot, makeClosureRoot } from './closure-root.js';
import { buildAttrs, closureOf, listPackages, type PackageEntry, specialAttrs } from './nix.js';
import { type StoreFile, walkStorePath } from './store-files.js';

const attrs = [
  'hello',
  'bashInteractive',
  'coreutils',
  'gnused',
  'gnugrep',
  'git',
  'cacert',
  'iana-etc',
] as const;
type Attr = (typeof attrs)[number];
let out: Record<Attr, string>;
let root: ClosureRoot;

beforeAll(async () => {
  const built = await buildAttrs([...attrs]);
  out = Object.fromEntries(attrs.map((attr, i) => [attr, built[i] ?? ''])) as Record<Attr, string>;
  root = await makeClosureRoot(built);
}, 120_000);

afterAll(async () => {
  await root?.remove();
});

describe('programs run inside a root holding only their closure', () => {
  test('hello is static and prints exactly "Hello, world!" with an empty environment', async () => {
    const { stdout: fileType } = await execa('file', ['-b', `${out.hello}/bin/hello`]);
    expect(fileType).toContain('statically linked');
    const helloOnly = await makeClosureRoot([out.hello]);
    try {
      expect(await readdir(join(helloOnly.dir, 'nix/store'))).toHaveLength(1);
      const result = await helloOnly.run([`${out.hello}/bin/hello`]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe('Hello, world!\n');
      expect((await helloOnly.run([`${out.hello}/bin/hello`, '--version'])).stdout).toContain('demo build');
    } finally {
      await helloOnly.remove();
    }
  });

  test('bash and sh (busybox) run commands', async () => {
    const bash = await root.run([
      `${out.bashInteractive}/bin/bash`,
      '-c',
      'echo "from bash"; echo $((6 * 7))',
    ]);
    expect(bash.stderr).toBe('');
    expect(bash.stdout).toBe('from bash\n42\n');
    const sh = await root.run([`${out.bashInteractive}/bin/sh`, '-c', 'echo from sh']);
    expect(sh.stdout).toBe('from sh\n');
    const version = await root.run([`${out.bashInteractive}/bin/bash`, '--version']);
    expect(version.stdout).toMatch(/^GNU bash, version 5\.2\.26 \(demo build/);
  });

  test('coreutils has a working bin/env and friends', async () => {
    const env = await root.run([`${out.coreutils}/bin/env`], { GREETING: 'hi' });
    expect(env.stdout).toBe('GREETING=hi\n');
    const pipeline = await root.run(
      [`${out.bashInteractive}/bin/bash`, '-c', 'ls /nix/store | grep -c coreutils; echo abc | sed s/b/X/'],
      { PATH: `${out.coreutils}/bin:${out.gnused}/bin:${out.gnugrep}/bin` },
    );
    expect(pipeline.stderr).toBe('');
    expect(pipeline.stdout).toBe('1\naXc\n');
  });

  test('stand-in scripts run through their bash and say they are demo builds', async () => {
    const version = await root.run([`${out.git}/bin/git`, '--version']);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toBe('git (git) 2.44.0 (demo build)\n');
    const other = await root.run([`${out.git}/bin/git`, 'status']);
    expect(other.stdout).toContain('demo build of git 2.44.0');
    const script = await readFile(`${out.git}/bin/git`, 'utf8');
    expect(script.split('\n')[0]).toMatch(/^#!\/nix\/store\/[0-9a-z]{32}-bash-5\.2p26\/bin\/bash$/);
  });
});

describe('data packages', () => {
  test('cacert holds a PEM bundle at etc/ssl/certs/ca-bundle.crt', async () => {
    const bundle = await readFile(`${out.cacert}/etc/ssl/certs/ca-bundle.crt`, 'utf8');
    expect(bundle).toContain('-----BEGIN CERTIFICATE-----');
    expect(bundle).toContain('-----END CERTIFICATE-----');
  });

  test('iana-etc holds etc/services and etc/protocols', async () => {
    expect(await readFile(`${out['iana-etc']}/etc/services`, 'utf8')).toMatch(/^https?\s+80\/tcp/m);
    expect(await readFile(`${out['iana-etc']}/etc/protocols`, 'utf8')).toMatch(/^tcp\s+6\s/m);
  });
});

describe('outputs need nothing from the host', () => {
  let packages: PackageEntry[];
  let files: StoreFile[];
  let storePaths: Set<string>;

  beforeAll(async () => {
    packages = (await listPackages()).filter((p) => !specialAttrs.includes(p.attr));
    const built = await buildAttrs(packages.map((p) => p.attr));
    storePaths = new Set(await closureOf(built));
    files = [];
    for (const path of storePaths) for await (const file of walkStorePath(path)) files.push(file);
  }, 120_000);

  test('every package has a DEMO-BUILD note', async () => {
    for (const p of packages) {
      const docs = await readdir(`${p.out}/share/doc`);
      const notes = await Promise.all(
        docs.map((d) => readFile(`${p.out}/share/doc/${d}/DEMO-BUILD`, 'utf8')),
      );
      expect(notes.join(''), p.attr).toContain('This is a demo build');
    }
  });

  test('ELF programs are static (no dynamic loader)', () => {
    const elves = files.filter((f) => f.kind === 'elf');
    expect(elves.length).toBeGreaterThanOrEqual(4); // busybox, hello, two bash wrappers
    for (const elf of elves) expect(elf.hasInterpreter, elf.path).toBe(false);
  });

  test('symlinks stay inside the store and point at paths of the closure', async () => {
    const links = files.filter((f): f is Extract<StoreFile, { kind: 'symlink' }> => f.kind === 'symlink');
    expect(links.length).toBeGreaterThan(50);
    for (const link of links) {
      const resolved = link.target.startsWith('/') ? link.target : join(link.path, '..', link.target);
      const owner = resolved.match(/^\/nix\/store\/[0-9a-z]{32}-[^/]+/)?.[0];
      expect(owner && storePaths.has(owner), `${link.path} -> ${link.target}`).toBe(true);
      await expect(stat(resolved)).resolves.toBeDefined();
    }
  });

  test('scripts use store interpreters and no text file names a host directory', () => {
    const texts = files.filter((f): f is Extract<StoreFile, { kind: 'text' }> => f.kind === 'text');
    expect(texts.length).toBeGreaterThan(100);
    // A host path begins a word: at the start, after white space, a quote, "=", ":" or "#!".
    const hostPath = /(^|[\s"'=:(!])\/(usr|bin|sbin|lib|lib64|opt|etc|home|root|var|tmp|build)\//m;
    for (const file of texts) {
      if (file.text.startsWith('#!')) expect(file.text, file.path).toMatch(/^#!\/nix\/store\//);
      expect(file.text, file.path).not.toMatch(hostPath);
    }
  });
});

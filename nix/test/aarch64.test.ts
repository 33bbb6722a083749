// The aarch64-linux stand-ins (nix/pkgs/aarch64.nix): built here with extra-platforms from
// the static arm64 programs scripts/fetch-arm64.sh fetched, really arm64 ELF files, shared
// data-only packages, and a clear refusal for everything else.
import { access, copyFile, open, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ClosureRoot, makeClosureRoot } from './closure-root.js';
import { closureOf, listPackages, type PackageEntry, pkgsDir, runNix } from './nix.js';

const onArm64 = process.arch === 'arm64';
const buildSystem = onArm64 ? 'aarch64-linux' : 'x86_64-linux';
const testBuildFile = fileURLToPath(new URL('./aarch64-build.nix', import.meta.url));
const qemu = join(pkgsDir, '.arm64/test/qemu-aarch64-static');
const EM_AARCH64 = 183;
const PT_INTERP = 3;

const standIns = ['hello', 'busybox', 'bash', 'bashInteractive', 'coreutils'] as const;
type StandIn = (typeof standIns)[number];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** e_machine of a 64-bit little-endian ELF file and whether it asks for a dynamic loader. */
async function elfFacts(path: string): Promise<{ machine: number; hasInterpreter: boolean }> {
  const file = await open(path);
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    expect(header.subarray(0, 4).toString('latin1'), path).toBe('\x7fELF');
    expect(header[4], `${path}: ELFCLASS64`).toBe(2);
    expect(header[5], `${path}: little-endian`).toBe(1);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    let hasInterpreter = false;
    for (let i = 0; i < phnum; i++)
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) hasInterpreter = true;
    return { machine: header.readUInt16LE(18), hasInterpreter };
  } finally {
    await file.close();
  }
}

async function evalJson(expression: string): Promise<unknown> {
  const result = await runNix('nix-instantiate', ['--eval', '--strict', '--json', '-E', expression]);
  if (result.exitCode !== 0) throw new Error(`nix-instantiate failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

const armSet = `import ${pkgsDir} { system = "aarch64-linux"; }`;

describe.skipIf(onArm64)('the aarch64-linux set, evaluated on an x86_64 build machine', () => {
  let native: PackageEntry[];
  let foreign: PackageEntry[];
  const find = (list: PackageEntry[], attr: string): PackageEntry => {
    const entry = list.find((p) => p.attr === attr);
    if (entry === undefined) throw new Error(`no attribute ${attr}`);
    return entry;
  };

  beforeAll(async () => {
    [native, foreign] = await Promise.all([listPackages(), listPackages({ system: 'aarch64-linux' })]);
  });

  test('the stand-ins are aarch64-linux derivations with the store names of the x86_64 ones', () => {
    for (const attr of standIns) {
      const arm = find(foreign, attr);
      expect(arm.available, attr).toBe(true);
      expect(arm.system, attr).toBe('aarch64-linux');
      expect(arm.name, attr).toBe(find(native, attr).name);
      expect(arm.out, attr).not.toBe(find(native, attr).out);
      expect(arm.description, attr).toMatch(/^demo build: /);
    }
  });

  test('cacert and iana-etc are the same derivations (same store paths) on both systems', () => {
    for (const attr of ['cacert', 'iana-etc']) {
      const arm = find(foreign, attr);
      const x86 = find(native, attr);
      expect(arm, attr).toEqual(x86);
      expect(arm.system, attr).toBe(buildSystem);
    }
  });

  test('every other package is there by name but unavailable', () => {
    const offered = foreign.filter((p) => p.available).map((p) => p.attr);
    expect(offered.sort()).toEqual([...standIns, 'cacert', 'iana-etc'].sort());
    for (const attr of [
      'git',
      'glibc',
      'python3Packages.requests',
      'haskellPackages.ShellCheck',
      'slowDemo',
    ]) {
      const p = find(foreign, attr);
      expect(p.available, attr).toBe(false);
      expect(p.name, attr).toBe(find(native, attr).name);
    }
  });

  test("building an unavailable package fails with nixpkgs' hostPlatform refusal, naming the stand-ins", async () => {
    for (const [attr, name] of [
      ['git', 'git-2.44.0'],
      ['python3Packages.requests', 'python3.11-requests-2.31.0'],
    ] as const) {
      const result = await runNix('nix-build', [
        pkgsDir,
        '--no-out-link',
        '--argstr',
        'system',
        'aarch64-linux',
        '--option',
        'extra-platforms',
        'aarch64-linux',
        '-A',
        attr,
      ]);
      expect(result.exitCode, attr).not.toBe(0);
      expect(result.stderr, attr).toContain(
        `Refusing to evaluate package '${name}' in nix/pkgs because it is not available on the requested hostPlatform aarch64-linux`,
      );
      expect(result.stderr, attr).toContain('stand-ins only for bash, bashInteractive, busybox, cacert');
    }
    expect(await evalJson(`(${armSet}).git.meta.available`)).toBe(false);
  });

  test('the test builds differ from the set only by their test marker', async () => {
    const facts = (set: string) =>
      `let p = ${set}; in map (a: { inherit (p.\${a}) name system builder args; }) [ "hello" "busybox" "bash" ]`;
    expect(await evalJson(facts(`import ${testBuildFile}`))).toEqual(await evalJson(facts(`(${armSet})`)));
    const marker = (set: string) => `(${set}).hello.drvAttrs.nixeryTestBuild or null`;
    expect(await evalJson(marker(`import ${testBuildFile}`))).toBe('1');
    expect(await evalJson(marker(armSet))).toBeNull();
  });
});

describe.skipIf(onArm64)('the aarch64-linux stand-ins, built with extra-platforms', () => {
  let out: Record<StandIn, string>;

  beforeAll(async () => {
    if (!(await exists(join(pkgsDir, '.arm64/bin/busybox')))) {
      throw new Error('nix/pkgs/.arm64 is empty: run scripts/fetch-arm64.sh (bootstrap.sh does)');
    }
    const result = await runNix('nix-build', [
      testBuildFile,
      '--no-out-link',
      '--option',
      'extra-platforms',
      'aarch64-linux',
      ...standIns.flatMap((attr) => ['-A', attr]),
    ]);
    if (result.exitCode !== 0) throw new Error(`nix-build failed:\n${result.stderr}`);
    const paths = result.stdout.split('\n').filter((line) => line.length > 0);
    out = Object.fromEntries(standIns.map((attr, i) => [attr, paths[i] ?? ''])) as Record<StandIn, string>;
  }, 120_000);

  test('hello and busybox are static aarch64 ELF programs (e_machine 183)', async () => {
    for (const program of [`${out.hello}/bin/hello`, `${out.busybox}/bin/busybox`]) {
      expect(await elfFacts(program), program).toEqual({ machine: EM_AARCH64, hasInterpreter: false });
    }
  });

  test('hello and busybox reference nothing; bash and coreutils only busybox', async () => {
    expect(await closureOf([out.hello])).toEqual([out.hello]);
    expect(await closureOf([out.busybox])).toEqual([out.busybox]);
    for (const attr of ['bash', 'bashInteractive', 'coreutils'] as const) {
      expect((await closureOf([out[attr]])).sort(), attr).toEqual([out.busybox, out[attr]].sort());
    }
  });

  test('bash is a script run by busybox sh, and the coreutils applets are busybox', async () => {
    const script = await readFile(`${out.bash}/bin/bash`, 'utf8');
    expect(script.split('\n')[0]).toBe(`#!${out.busybox}/bin/sh`);
    expect(script).toContain(`exec ${out.busybox}/bin/sh "$@"`);
    expect(await readlink(`${out.bashInteractive}/bin/sh`)).toBe(`${out.busybox}/bin/busybox`);
    for (const applet of ['env', 'ls', 'cat']) {
      expect(await readlink(`${out.coreutils}/bin/${applet}`), applet).toBe(`${out.busybox}/bin/busybox`);
    }
    expect(await readFile(`${out.busybox}/share/doc/busybox/UPSTREAM-VERSION`, 'utf8')).toMatch(
      /^busybox-static 1:1\.35\.0-\S+ \(Debian bookworm, arm64\)\n$/,
    );
  });

  describe('run under qemu-aarch64-static, in a root holding only their closure', () => {
    let root: ClosureRoot;
    let haveQemu = false;

    beforeAll(async () => {
      haveQemu = await exists(qemu);
      if (!haveQemu) {
        console.warn(`skipping the arm64 run tests: ${qemu} is missing (scripts/fetch-arm64.sh fetches it)`);
        return;
      }
      root = await makeClosureRoot([out.hello, out.coreutils]);
      // The emulator is called directly (no binfmt_misc registration): static, so it runs in the root.
      await copyFile(qemu, join(root.dir, 'qemu-aarch64-static'));
    });

    afterAll(async () => {
      await root?.remove();
    });

    const run = (argv: string[]) => root.run(['/qemu-aarch64-static', ...argv]);

    test('hello prints exactly "Hello, world!" with an empty environment', async (context) => {
      if (!haveQemu) context.skip();
      const result = await run([`${out.hello}/bin/hello`]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe('Hello, world!\n');
      expect((await run([`${out.hello}/bin/hello`, '--version'])).stdout).toBe(
        'hello (GNU Hello) 2.12.1 (demo build)\n',
      );
    });

    test("busybox's sh and the coreutils applets run", async (context) => {
      if (!haveQemu) context.skip();
      const sh = await run([`${out.busybox}/bin/sh`, '-c', 'echo "from sh"; echo $((6 * 7))']);
      expect(sh.stderr).toBe('');
      expect(sh.stdout).toBe('from sh\n42\n');
      expect((await run([`${out.coreutils}/bin/seq`, '3'])).stdout).toBe('1\n2\n3\n');
      expect((await run([`${out.coreutils}/bin/uname`, '-m'])).stdout).toBe('aarch64\n');
    });
  });
});

describe('a missing fetched program', () => {
  test('fails the build with a message that says to run scripts/fetch-arm64.sh', async () => {
    const expression = `(import ${join(pkgsDir, 'lib.nix')} { system = builtins.currentSystem; }).mkDemo {
      pname = "prebuilt-check"; version = "1"; description = "missing prebuilt program";
      installScript = ${join(pkgsDir, 'builders/install-prebuilt.sh')};
      extraEnv.prebuiltPrograms = "hello=missing";
    }`;
    const result = await runNix('nix-build', ['--no-out-link', '-E', expression]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('nix/pkgs/.arm64/bin/hello is missing: run scripts/fetch-arm64.sh');
  });
});

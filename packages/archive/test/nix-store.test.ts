import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storePathsTar } from '../src/index.js';
import { collect, listTar, tempDir } from './helpers.js';

const run = promisify(execFile);
const NIX_ENV = { ...process.env, NIX_CONFIG: 'substituters =\nexperimental-features = nix-command' };

// A tiny derivation built offline: an executable script, a data file and a symlink.
const DERIVATION = `
derivation {
  name = "archive-test-tool";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" "mkdir -p $out/bin $out/share; printf '#!/bin/sh\\\\necho hi\\\\n' > $out/bin/tool; chmod 755 $out/bin/tool; echo data > $out/share/data; ln -s tool $out/bin/alias" ];
}
`;

describe('real Nix store paths', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let outPath: string;

  beforeAll(async () => {
    work = await tempDir('archive-nix-');
    const file = path.join(work.dir, 'tool.nix');
    await writeFile(file, DERIVATION);
    const result = await run('nix-build', [file, '--no-out-link'], { env: NIX_ENV });
    outPath = result.stdout.trim();
  });
  afterAll(() => work.cleanup());

  test('packs a built store path under its /nix/store name, and GNU tar extracts it', async () => {
    expect(outPath).toMatch(/^\/nix\/store\/[0-9a-z]{32}-archive-test-tool$/);
    const name = outPath.slice(1);
    const archive = await collect(storePathsTar([outPath]));
    const entries = await listTar(storePathsTar([outPath]));
    expect(entries.map((e) => [e.name, e.type, e.mode.toString(8), e.linkname ?? ''])).toEqual([
      ['nix/', 'directory', '555', ''],
      ['nix/store/', 'directory', '555', ''],
      [`${name}/`, 'directory', '555', ''],
      [`${name}/bin/`, 'directory', '555', ''],
      [`${name}/bin/alias`, 'symlink', '777', 'tool'],
      [`${name}/bin/tool`, 'file', '555', ''],
      [`${name}/share/`, 'directory', '555', ''],
      [`${name}/share/data`, 'file', '444', ''],
    ]);

    const tarFile = path.join(work.dir, 'layer.tar');
    await writeFile(tarFile, archive);
    const out = path.join(work.dir, 'root');
    await mkdir(out);
    await run('tar', ['-xf', tarFile, '-C', out]);
    expect(await readFile(path.join(out, name, 'share/data'), 'utf8')).toBe('data\n');
    const { stdout } = await run(path.join(out, name, 'bin/alias'));
    expect(stdout).toBe('hi\n');
  });
});

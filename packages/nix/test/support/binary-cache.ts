// A signed binary cache for tests, filled the way a build farm fills a fleet's cache: a package is
// built in a store of its own (`local?root=DIR`, so this machine's store never gets it), signed
// with a key made for the test and copied into a `file://` cache. Only a Nix that trusts the
// public key substitutes from it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface SignedCache {
  /** The substituter URL (`file://…`). */
  url: string;
  /** The key Nix must trust (`name:base64`). */
  publicKey: string;
  /** Another valid key, which signed nothing here. */
  otherPublicKey: string;
  /** The output path now in the cache. */
  outPath: string;
  remove(): Promise<void>;
}

const NIX_COMMAND = ['--extra-experimental-features', 'nix-command'];

/** Builds `attr` of the package set `dir` in a private store and puts it, signed, in a new cache. */
export async function signedBinaryCache(dir: string, attr: string): Promise<SignedCache> {
  const work = await mkdtemp(join(tmpdir(), 'nixery-binary-cache-'));
  const store = `local?root=${join(work, 'store')}`;
  const url = `file://${join(work, 'cache')}`;
  const key = async (name: string) => {
    await execa('nix-store', [
      '--generate-binary-cache-key',
      name,
      join(work, `${name}.secret`),
      join(work, `${name}.public`),
    ]);
    return (await readFile(join(work, `${name}.public`), 'utf8')).trim();
  };
  const publicKey = await key('fleet-cache-1');
  const otherPublicKey = await key('other-cache-1');
  // A store under another root builds only in a sandbox, lent the host folders the builders use.
  const built = await execa('nix-build', [
    dir,
    '-A',
    attr,
    '--no-out-link',
    '--store',
    store,
    '--option',
    'substituters',
    '',
    '--option',
    'sandbox',
    'true',
    '--option',
    'extra-sandbox-paths',
    '/bin /lib /lib64 /usr /etc/alternatives',
  ]);
  const outPath = built.stdout.trim().split('\n').at(-1)!;
  await execa('nix', [
    ...NIX_COMMAND,
    'store',
    'sign',
    '--store',
    store,
    '--key-file',
    join(work, 'fleet-cache-1.secret'),
    '--recursive',
    outPath,
  ]);
  await execa('nix', [...NIX_COMMAND, 'copy', '--from', store, '--to', url, outPath]);
  return {
    url,
    publicKey,
    otherPublicKey,
    outPath,
    async remove() {
      await execa('chmod', ['-R', 'u+w', work], { reject: false });
      await rm(work, { recursive: true, force: true });
    },
  };
}

import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

const BINFMT = '/proc/sys/fs/binfmt_misc';
// An aarch64 ELF executable: the ELF identification (64-bit, little endian) and e_machine 183,
// with the mask Debian's qemu-user-static registers (any OS ABI, ET_EXEC or ET_DYN).
const MAGIC = '7f454c460201010000000000000000000200b700';
const MAGIC_ESCAPED =
  '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
const MASK_ESCAPED =
  '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';

export type Emulation = { ok: true; how: string; undo: () => Promise<void> } | { ok: false; reason: string };

/**
 * Makes the kernel run aarch64 programs with `qemu` (qemu-aarch64-static) through binfmt_misc:
 * mounts binfmt_misc if it is not mounted and registers the emulator with the F flag (the kernel
 * opens it now, so it also works inside a container's root), unless an aarch64 entry is already
 * there. `undo` removes what this did, and only that. When the kernel refuses, says why.
 */
export async function emulateAarch64(qemu: string): Promise<Emulation> {
  if (!existsSync(qemu)) return { ok: false, reason: `${qemu} is missing (run scripts/fetch-arm64.sh)` };
  let mounted = false;
  if (!existsSync(join(BINFMT, 'register'))) {
    const mount = await execa('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT], { reject: false });
    if (mount.exitCode !== 0)
      return {
        ok: false,
        reason: `binfmt_misc cannot be mounted here: ${mount.stderr.trim() || mount.exitCode}`,
      };
    mounted = true;
  }
  const unmount = async () => {
    if (mounted) await execa('umount', [BINFMT], { reject: false });
  };
  const existing = await existingAarch64Entry();
  if (existing !== null)
    return { ok: true, how: `the existing binfmt_misc entry ${existing}`, undo: unmount };
  const name = `nixery-e2e-aarch64-${process.pid}`;
  try {
    await writeFile(join(BINFMT, 'register'), `:${name}:M::${MAGIC_ESCAPED}:${MASK_ESCAPED}:${qemu}:F`);
  } catch (error) {
    await unmount();
    return {
      ok: false,
      reason: `the kernel refused the binfmt_misc registration: ${(error as Error).message}`,
    };
  }
  return {
    ok: true,
    how: `binfmt_misc entry ${name} (registered by this test)`,
    undo: async () => {
      await writeFile(join(BINFMT, name), '-1').catch(() => {});
      await unmount();
    },
  };
}

/** The name of an enabled binfmt_misc entry for aarch64 ELF files, or null. */
async function existingAarch64Entry(): Promise<string | null> {
  for (const entry of await readdir(BINFMT)) {
    if (entry === 'register' || entry === 'status') continue;
    const text = await readFile(join(BINFMT, entry), 'utf8').catch(() => '');
    if (/^enabled/m.test(text) && text.includes(`magic ${MAGIC}`)) return entry;
  }
  return null;
}

// `nixery verify` as the CLI runs it: the command module in a tiny commander program.

import { registerVerify } from '@nixery/cli';
import { Command } from 'commander';
import { vi } from 'vitest';

/** Runs `nixery verify <args>`; returns stdout and the CliError's exit code (0 when none). */
export async function runVerify(args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const program = new Command('nixery').exitOverride();
  registerVerify(program);
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    await program.parseAsync(['verify', ...args], { from: 'user' });
    return { stdout, exitCode: 0 };
  } catch (error) {
    const exitCode = (error as { exitCode?: number }).exitCode;
    if (typeof exitCode !== 'number') throw error;
    return { stdout, exitCode };
  } finally {
    write.mockRestore();
  }
}

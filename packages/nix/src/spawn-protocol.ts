import type { NixRun } from './run-nix-here.js';

/** Main thread → spawner. */
export type ToSpawner =
  | { type: 'run'; id: number; file: string; args: string[]; env: Record<string, string>; timeoutMs: number }
  | { type: 'abort'; id: number };

/** Spawner → main thread. */
export type FromSpawner =
  | { type: 'pid'; id: number; pid: number }
  | { type: 'line'; id: number; line: string }
  | { type: 'done'; id: number; result: NixRun & { canceled: boolean } }
  | { type: 'failed'; id: number; message: string };

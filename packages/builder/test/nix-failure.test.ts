import { describe, expect, test } from 'vitest';
import { imageErrorFromNix } from '../src/index.js';

const removed = {
  name: 'chatbox',
  kind: 'removed',
  attr: 'chatbox',
  message: 'chatbox was removed for x',
} as const;
const refused = {
  name: 'vscode',
  kind: 'refused',
  refusal: 'unfree',
  attr: 'vscode',
  message:
    "Refusing to evaluate package 'vscode-1' in /p.nix:1 because it has an unfree license (‘unfree’)\na) …",
} as const;
const unknown = { name: 'nosuch', kind: 'unknown', message: '' } as const;
const broken = {
  name: 'firefox',
  kind: 'eval-error',
  message: "getting status of '/x': No such file or directory",
} as const;

describe('imageErrorFromNix', () => {
  test('per-name problems: the gravest sets the reason, the message lists every name', () => {
    const problems = (list: object[]) =>
      imageErrorFromNix({ ok: false, kind: 'package-problems', problems: list as never });
    expect(problems([unknown])).toMatchObject({ reason: 'unknown-packages' });
    expect(problems([removed, unknown])).toMatchObject({ reason: 'packages-removed' });
    expect(problems([removed, refused, unknown])).toMatchObject({ reason: 'packages-refused' });
    const worst = problems([removed, refused, broken]);
    expect(worst).toMatchObject({ reason: 'evaluation-failed' });
    expect(worst.message.split('; ')).toEqual([
      'chatbox is not in the package set any more: chatbox was removed for x',
      "vscode is refused (unfree): Refusing to evaluate package 'vscode-1' in /p.nix:1 because it has an unfree license (‘unfree’). An operator allows unfree packages with NIXERY_ALLOW_UNFREE=1 (nixery serve --allow-unfree)",
      "firefox failed to evaluate: getting status of '/x': No such file or directory",
    ]);
    expect(worst.detail).toEqual({
      packages: ['chatbox', 'vscode', 'firefox'],
      problems: [
        { name: 'chatbox', problem: 'removed', attr: 'chatbox', message: removed.message },
        { name: 'vscode', problem: 'refused', attr: 'vscode', refusal: 'unfree', message: refused.message },
        { name: 'firefox', problem: 'eval-error', message: broken.message },
      ],
    });
  });

  test('a failed build leads with the error line that names the derivation', () => {
    const error = imageErrorFromNix({
      ok: false,
      kind: 'build-failed',
      derivation: '/nix/store/ccc-broken-demo-1.0.drv',
      errors: [
        "builder for '/nix/store/ccc-broken-demo-1.0.drv' failed with exit code 1;\nlast 1 log lines:",
      ],
      logTail: 'error: …',
    });
    expect(error.message).toBe(
      "Nix failed to build the image: builder for '/nix/store/ccc-broken-demo-1.0.drv' failed with exit code 1;",
    );
    expect(error.detail).toMatchObject({
      reason: 'build-failed',
      derivation: '/nix/store/ccc-broken-demo-1.0.drv',
    });
  });

  test('each limit has its own timeout message', () => {
    const timeout = (step: 'evaluation' | 'build') =>
      imageErrorFromNix({ ok: false, kind: 'timeout', step, seconds: 7, logTail: '' });
    expect(timeout('evaluation').message).toBe(
      'evaluating the package set timed out after 7 s (NIXERY_EVAL_TIMEOUT)',
    );
    expect(timeout('build').message).toBe(
      'building the image timed out after 7 s (NIX_TIMEOUT bounds each build and its silence)',
    );
    expect(timeout('build')).toMatchObject({
      reason: 'timeout',
      detail: { reason: 'timeout', step: 'build' },
    });
  });
});

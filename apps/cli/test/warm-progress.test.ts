import { describe, expect, test } from 'vitest';
import { createMultiProgress } from '../src/warm-progress.js';

/** A stream that records what is written, as a terminal or a pipe. */
function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 60, write: (chunk: string) => writes.push(chunk) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

describe('warm progress', () => {
  test('not a terminal: one plain line per change, layer writing once', () => {
    const { stream, writes } = fakeStream(false);
    const progress = createMultiProgress(['hello:latest', 'git:latest'], { stream });
    progress.update(0, 'evaluating');
    progress.update(0, 'evaluating');
    progress.update(1, 'building 1 of 2 derivations');
    progress.update(0, 'writing layer 1 of 3');
    progress.update(0, 'writing layer 2 of 3');
    progress.update(0, 'built in 1.0 s', 'ok');
    progress.stop();
    expect(writes).toEqual([
      '[1/2] hello:latest: evaluating\n',
      '[2/2] git:latest: building 1 of 2 derivations\n',
      '[1/2] hello:latest: writing layer 1 of 3\n',
      '[1/2] hello:latest: built in 1.0 s\n',
    ]);
  });

  test('a terminal: one line per image, redrawn in place, cut to the width, marks when finished', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createMultiProgress(['hello:latest', `${'x'.repeat(80)}:latest`], { stream });
    progress.update(0, 'built in 1.0 s', 'ok');
    progress.update(1, 'failed (build-failed): boom', 'failed');
    progress.update(0, 'ignored after the end');
    progress.stop();
    const last = writes.at(-1) ?? '';
    // Up two lines (over the first drawing), then both lines again.
    expect(last.startsWith('\u001b[2A')).toBe(true);
    const lines = last.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('✔ hello:latest: built in 1.0 s');
    expect(lines[1]).toContain('✖ xxx');
    for (const line of lines)
      expect(line.replace('\r\u001b[2K', '').replace('\u001b[2A', '').length).toBeLessThan(60);
  });

  test('quiet: nothing', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createMultiProgress(['a'], { stream, quiet: true });
    progress.update(0, 'x');
    progress.stop();
    expect(writes).toEqual([]);
  });
});

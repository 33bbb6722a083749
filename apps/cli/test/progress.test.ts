import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createProgress } from '../src/progress.js';

/** A stream that says it is (or is not) a terminal, collecting what is written. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; text(): string } {
  const sink = new PassThrough();
  const chunks: string[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  Object.assign(sink, { isTTY, columns: 40 });
  return { out: sink as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

describe('progress', () => {
  test('not a terminal: one plain line per event, no escape codes', async () => {
    const s = stream(false);
    const progress = createProgress({ stream: s.out });
    progress.stage('running Nix');
    progress.note('image found in the cache');
    progress.done('built');
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.text()).toBe('running Nix...\n  image found in the cache\nbuilt\n');
  });

  test('a terminal: a spinner line redrawn in place, cut to the width, then a done line', async () => {
    const s = stream(true);
    const progress = createProgress({ stream: s.out });
    progress.stage('writing a stage name far longer than forty columns of terminal');
    await new Promise((resolve) => setTimeout(resolve, 200));
    progress.done('wrote 5 layers');
    await new Promise((resolve) => setImmediate(resolve));
    const text = s.text();
    const redraws = text
      .split('\r\x1b[2K')
      .filter((part) => part.startsWith('⠋') || /^[⠙⠹⠸⠼⠴⠦⠧⠇⠏]/.test(part));
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    for (const line of redraws) expect(line.length).toBeLessThanOrEqual(39);
    expect(text.endsWith('\r\x1b[2K✔ wrote 5 layers\n')).toBe(true);
  });

  test('--quiet writes nothing', async () => {
    const s = stream(true);
    const progress = createProgress({ stream: s.out, quiet: true });
    progress.stage('x');
    progress.done('y');
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.text()).toBe('');
  });
});

/**
 * The progress of several images at once, on stderr. On a terminal: one line per image, redrawn
 * in place (a spinner on those in flight). Elsewhere: one plain line whenever an image's status
 * changes, so CI logs read as a log.
 */
export interface MultiProgress {
  /** Image `index` now shows `text`; `final` marks it finished (✔ ok, ✖ failed). */
  update(index: number, text: string, final?: 'ok' | 'failed'): void;
  /** Stops redrawing; the last state stays on screen. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

export function createMultiProgress(
  labels: readonly string[],
  options: { stream?: NodeJS.WriteStream; quiet?: boolean } = {},
): MultiProgress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update() {}, stop() {} };
  return stream.isTTY ? new TerminalProgress(stream, labels) : new PlainProgress(stream, labels);
}

class PlainProgress implements MultiProgress {
  private readonly last: string[] = [];
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly labels: readonly string[],
  ) {}
  update(index: number, text: string): void {
    // A log line per layer would drown the rest: layer writing is told once, when it starts.
    const kind = text.startsWith('writing layer') ? 'writing' : text;
    if (this.last[index] === kind) return;
    this.last[index] = kind;
    this.stream.write(`[${index + 1}/${this.labels.length}] ${this.labels[index]}: ${text}\n`);
  }
  stop(): void {}
}

class TerminalProgress implements MultiProgress {
  private readonly lines: { text: string; final?: 'ok' | 'failed'; since: number }[];
  private frame = 0;
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly labels: readonly string[],
  ) {
    this.lines = labels.map(() => ({ text: 'waiting', since: Date.now() }));
    this.timer = setInterval(() => this.draw(), FRAME_MS);
    // The redraw must never keep the process alive on its own.
    this.timer.unref();
    this.draw();
  }

  update(index: number, text: string, final?: 'ok' | 'failed'): void {
    const line = this.lines[index];
    if (!line || line.final) return;
    line.text = text;
    if (final) line.final = final;
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
  }

  private draw(): void {
    const width = this.stream.columns || 80;
    const symbol = FRAMES[this.frame++ % FRAMES.length];
    // Back to the first line of the block, then every line again.
    let out = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    this.lines.forEach((line, i) => {
      const mark = line.final === 'ok' ? '✔' : line.final === 'failed' ? '✖' : symbol;
      const elapsed = line.final ? '' : ` (${((Date.now() - line.since) / 1000).toFixed(0)} s)`;
      const text = `${mark} ${this.labels[i]}: ${line.text}${elapsed}`;
      out += `\r\x1b[2K${text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text}\n`;
    });
    this.drawn = this.lines.length;
    this.stream.write(out);
  }
}

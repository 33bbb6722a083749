/**
 * Progress of long work on stderr, so stdout stays clean for results (`--json`, layer tables).
 * On a terminal: one spinner line that is redrawn in place, and a line per finished stage.
 * Elsewhere (pipes, CI logs, tests): one plain line per event, no escape codes.
 */
export interface Progress {
  /** A stage begins (replaces the previous one). */
  stage(text: string): void;
  /** A note that stays on screen (cache hits, counts). */
  note(text: string): void;
  /** The current stage finished. */
  done(text: string): void;
  /** Stops the spinner without a message (on failure, before the error is printed). */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** No output at all (`--quiet`). */
  quiet?: boolean;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { stage() {}, note() {}, done() {}, stop() {} };
  return stream.isTTY ? new SpinnerProgress(stream) : new LineProgress(stream);
}

class LineProgress implements Progress {
  constructor(private readonly stream: NodeJS.WritableStream) {}
  stage(text: string): void {
    this.stream.write(`${text}...\n`);
  }
  note(text: string): void {
    this.stream.write(`  ${text}\n`);
  }
  done(text: string): void {
    this.stream.write(`${text}\n`);
  }
  stop(): void {}
}

class SpinnerProgress implements Progress {
  private text = '';
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private started = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  stage(text: string): void {
    this.text = text;
    this.started = Date.now();
    if (this.timer === null) {
      this.timer = setInterval(() => this.draw(), FRAME_MS);
      // The spinner must never keep the process alive on its own.
      this.timer.unref();
    }
    this.draw();
  }

  note(text: string): void {
    this.clearLine();
    this.stream.write(`  ${text}\n`);
    if (this.timer !== null) this.draw();
  }

  done(text: string): void {
    this.halt();
    this.stream.write(`✔ ${text}\n`);
  }

  stop(): void {
    this.halt();
  }

  private halt(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clearLine();
  }

  private draw(): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const symbol = FRAMES[this.frame++ % FRAMES.length];
    const line = `${symbol} ${this.text} (${seconds} s)`;
    // A pseudo-terminal may report 0 columns; treat that as unknown.
    const width = this.stream.columns || 80;
    this.clearLine();
    this.stream.write(line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line);
  }

  private clearLine(): void {
    this.stream.write('\r\x1b[2K');
  }
}

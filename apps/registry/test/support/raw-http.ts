import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A TCP connection to the server, for requests exactly as written (fetch would fix them up). */
export class RawConnection {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Milliseconds from `connect` until the server ended or reset the connection; null while open. */
  closedAt: number | null = null;
  private readonly openedAt = Date.now();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    const closed = () => {
      this.closedAt ??= Date.now() - this.openedAt;
      this.wake();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    // Writing into a socket the server reset is expected in these tests.
    socket.on('error', closed);
  }

  static open(port: number, localAddress = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, localAddress }, () =>
        resolve(new RawConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  write(text: string | Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  /** Reads one response (headers and a Content-Length body; none for a HEAD) from what the server sent. */
  async readAnswer(options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.parse(options.head ?? false);
      if (answer) return answer;
      if (this.closedAt !== null) throw new Error(`connection closed before a full answer: ${this.received}`);
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms: ${this.received}`);
      await this.next(deadline - Date.now());
    }
  }

  /** Waits until the server closes the connection; returns false if it is still open at the deadline. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.closedAt === null && Date.now() < deadline) await this.next(deadline - Date.now());
    return this.closedAt !== null;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(head: boolean): RawAnswer | null {
    const end = this.received.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const [statusLine, ...lines] = this.received.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = head ? 0 : Number(headers['content-length'] ?? 0);
    if (this.received.length < end + 4 + length) return null;
    const body = this.received.subarray(end + 4, end + 4 + length).toString('utf8');
    this.received = this.received.subarray(end + 4 + length);
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  }

  private next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Writes `chunk` every few milliseconds until stopped, like a client pushing a huge body. */
export function keepWriting(connection: RawConnection, chunk = Buffer.alloc(64 * 1024, 0x61)): () => void {
  const timer = setInterval(() => connection.write(chunk), 5);
  return () => clearInterval(timer);
}

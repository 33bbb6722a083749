// An in-memory StorageDriver with a settable clock, for unit tests of the collector: every object
// records when it was written, so ages are exact without waiting.
import { Readable } from 'node:stream';
import { BlobStore, type ListedObject, type SmallObject, type StorageDriver } from '@nixery/storage';

interface Entry {
  body: Buffer;
  contentType: string;
  modified: Date;
}

export class MemoryDriver implements StorageDriver {
  readonly kind = 'memory';
  readonly description = 'memory';
  readonly objects = new Map<string, Entry>();
  /** Deletions made, by name. */
  readonly deleted: string[] = [];

  constructor(public clock: () => Date) {}

  async upload(name: string, data: Readable | Buffer, contentType: string): Promise<void> {
    if (Buffer.isBuffer(data)) {
      await this.put(name, data, contentType);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of data) chunks.push(Buffer.from(chunk as Buffer));
    this.objects.set(name, { body: Buffer.concat(chunks), contentType, modified: this.clock() });
  }
  async put(name: string, body: Buffer, contentType: string): Promise<void> {
    this.objects.set(name, { body, contentType, modified: this.clock() });
  }
  async get(name: string): Promise<SmallObject | null> {
    const e = this.objects.get(name);
    return e ? { body: e.body, contentType: e.contentType } : null;
  }
  async stat(name: string) {
    const e = this.objects.get(name);
    return e ? { size: e.body.length, contentType: e.contentType, modified: e.modified } : null;
  }
  async read(name: string, range?: { start: number; end: number }): Promise<Readable | null> {
    const e = this.objects.get(name);
    if (!e) return null;
    return Readable.from([range ? e.body.subarray(range.start, range.end + 1) : e.body]);
  }
  async *list(prefix: string): AsyncIterable<ListedObject> {
    for (const [name, e] of [...this.objects]) {
      if (name.startsWith(prefix)) yield { name, size: e.body.length, modified: e.modified };
    }
  }
  async delete(name: string): Promise<void> {
    if (this.objects.delete(name)) this.deleted.push(name);
  }
  async move(from: string, to: string): Promise<void> {
    const e = this.objects.get(from);
    if (!e) throw new Error(`no ${from}`);
    // A move keeps the upload's time, as a rename does.
    this.objects.set(to, e);
    this.objects.delete(from);
  }
}

export function memoryStorage(clock: () => Date): { storage: BlobStore; driver: MemoryDriver } {
  const driver = new MemoryDriver(clock);
  return { storage: new BlobStore(driver), driver };
}

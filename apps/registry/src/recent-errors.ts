/** A small ring of the most recent build failures, shown on the front page. */
export interface RecentError {
  at: string;
  image: string;
  reason: string;
  message: string;
}

export class RecentErrors {
  private readonly entries: RecentError[] = [];
  constructor(private readonly capacity = 20) {}

  add(entry: RecentError): void {
    this.entries.unshift(entry);
    if (this.entries.length > this.capacity) this.entries.length = this.capacity;
  }

  list(): readonly RecentError[] {
    return this.entries;
  }
}

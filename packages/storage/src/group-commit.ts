/**
 * Group commit of a durable step keyed by name (a folder's fsync): a caller's change is durable
 * once a run of the step that began after the change has finished. While one run is going, every
 * caller that comes meanwhile waits for one shared next run, started when the current one ends,
 * so many changes at once (the small blobs of a build, renamed into one folder) pay a few runs
 * between them instead of one each.
 */
export class GroupCommit {
  private readonly runs = new Map<string, Run>();

  constructor(private readonly step: (key: string) => Promise<void>) {}

  /** Resolves once a run of the step for `key` that began after this call has finished. */
  commit(key: string): Promise<void> {
    const running = this.runs.get(key);
    if (running === undefined) return this.start(key);
    // The running one may have begun before the caller's change: the next one is what counts.
    running.next ??= running.done.then(ignore, ignore).then(() => this.start(key));
    return running.next;
  }

  private start(key: string): Promise<void> {
    const run: Run = { done: this.step(key), next: null };
    this.runs.set(key, run);
    const forget = () => {
      if (this.runs.get(key) === run) this.runs.delete(key);
    };
    run.done.then(forget, forget);
    return run.done;
  }
}

interface Run {
  done: Promise<void>;
  /** The run that starts when this one ends, shared by every caller that came during it. */
  next: Promise<void> | null;
}

function ignore(): void {}

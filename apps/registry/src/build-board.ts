import { randomBytes } from 'node:crypto';
import { type BuildInfo, type BuildObserver, type BuildStage, describeStage } from '@nixery/builder';

/**
 * The build board: every build in flight and the last finished ones, in memory and bounded
 * (finished builds, log lines per build, the length of each line, listeners per build), for
 * `GET /builds` and the live page of each build.
 */

/** The counters a build has shown so far; each keeps its last value once its stage has passed. */
export interface BuildCounters {
  evaluations: number;
  derivations: { total: number; started: number };
  fetches: { total: number; started: number };
  layers: { written: number; total: number };
}

/** One build as `GET /builds` lists it (the JSON contract of the README). */
export interface BuildSummary {
  id: string;
  image: string;
  tag: string;
  arch: string;
  system: string;
  /** The current stage, with its own data (`building`: derivations, `failed`: reason, …). */
  stage: BuildStage;
  /** The stage in words ("building 1 of 2 derivations"), as the CLI and the pages say it. */
  description: string;
  counters: BuildCounters;
  /** The request id of the pull that started the build (later pulls share it). */
  requestId: string | null;
  startedAt: string;
  endedAt: string | null;
  elapsedMs: number;
  links: { self: string; events: string };
}

/** One build in full: the summary and its last log lines, oldest first. */
export interface BuildDetail extends BuildSummary {
  log: string[];
  /** Lines that no longer fit the ring (the log holds only the last `logLines`). */
  logDropped: number;
}

/** What a live listener receives after the snapshot; `end` is the last one (done or failed). */
export type BoardEvent =
  | { type: 'stage'; stage: BuildStage; description: string; counters: BuildCounters; elapsedMs: number }
  | { type: 'log'; line: string }
  | { type: 'end'; build: BuildSummary };

export interface BuildBoardOptions {
  /** Finished builds kept (default 50). */
  finished?: number;
  /** Log lines kept per build (default 200). */
  logLines?: number;
  /** Longer lines are cut (default 2000 characters). */
  lineLength?: number;
}

const DEFAULTS = { finished: 50, logLines: 200, lineLength: 2000 } as const;

class BoardEntry {
  stage: BuildStage = { stage: 'queued' };
  readonly counters: BuildCounters = {
    evaluations: 0,
    derivations: { total: 0, started: 0 },
    fetches: { total: 0, started: 0 },
    layers: { written: 0, total: 0 },
  };
  readonly log: string[] = [];
  logDropped = 0;
  readonly started = Date.now();
  ended: number | null = null;
  readonly listeners = new Set<(event: BoardEvent) => void>();

  constructor(
    readonly id: string,
    readonly info: BuildInfo,
  ) {}

  get finished(): boolean {
    return this.ended !== null;
  }

  elapsedMs(): number {
    return (this.ended ?? Date.now()) - this.started;
  }

  summary(): BuildSummary {
    const { image, tag, arch, system, requestId } = this.info;
    const self = `/builds/${this.id}`;
    return {
      id: this.id,
      image,
      tag,
      arch,
      system,
      stage: this.stage,
      description: describeStage(this.stage),
      counters: structuredClone(this.counters),
      requestId,
      startedAt: new Date(this.started).toISOString(),
      endedAt: this.ended === null ? null : new Date(this.ended).toISOString(),
      elapsedMs: this.elapsedMs(),
      links: { self, events: `${self}/events` },
    };
  }

  detail(): BuildDetail {
    return { ...this.summary(), log: [...this.log], logDropped: this.logDropped };
  }

  notify(event: BoardEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One listener's failure must not stop the others, or the build.
        this.listeners.delete(listener);
      }
    }
  }
}

export class BuildBoard {
  private readonly running = new Map<string, BoardEntry>();
  /** Finished builds, oldest first. */
  private readonly done: BoardEntry[] = [];
  private readonly limits: Required<BuildBoardOptions>;

  constructor(options: BuildBoardOptions = {}) {
    this.limits = { ...DEFAULTS, ...options };
  }

  /** A build begins: its id and the observer that records it. */
  start(info: BuildInfo): { id: string; observer: BuildObserver } {
    let id = randomBytes(6).toString('hex');
    while (this.find(id)) id = randomBytes(6).toString('hex');
    const entry = new BoardEntry(id, info);
    this.running.set(id, entry);
    const observer: BuildObserver = {
      stage: (stage) => this.onStage(entry, stage),
      log: (line) => this.onLog(entry, line),
    };
    return { id, observer };
  }

  /** Builds in flight (oldest first), then the finished ones (newest first). */
  list(): BuildSummary[] {
    return [...this.running.values(), ...[...this.done].reverse()].map((e) => e.summary());
  }

  get(id: string): BuildDetail | null {
    return this.find(id)?.detail() ?? null;
  }

  /**
   * The build's detail now, and `listener` for what follows (until `end`); null for an unknown
   * id. A finished build gets no listener: its detail is final.
   */
  watch(id: string, listener: (event: BoardEvent) => void): { detail: BuildDetail; stop: () => void } | null {
    const entry = this.find(id);
    if (!entry) return null;
    if (entry.finished) return { detail: entry.detail(), stop: () => {} };
    entry.listeners.add(listener);
    return { detail: entry.detail(), stop: () => entry.listeners.delete(listener) };
  }

  /** Live listeners of a build (its open event streams). */
  watchers(id: string): number {
    return this.find(id)?.listeners.size ?? 0;
  }

  private find(id: string): BoardEntry | undefined {
    return this.running.get(id) ?? this.done.find((e) => e.id === id);
  }

  private onStage(entry: BoardEntry, stage: BuildStage): void {
    if (entry.finished) return;
    entry.stage = stage;
    const { counters } = entry;
    if (stage.stage === 'evaluating') counters.evaluations = stage.evaluations;
    if (stage.stage === 'building') {
      counters.derivations = { ...stage.derivations };
      counters.fetches = { ...stage.fetches };
    }
    if (stage.stage === 'writing') counters.layers = { written: stage.layer, total: stage.layers };
    if (stage.stage === 'done' || stage.stage === 'failed') {
      entry.ended = Date.now();
      this.running.delete(entry.id);
      this.done.push(entry);
      if (this.done.length > this.limits.finished) this.done.shift();
      entry.notify({ type: 'end', build: entry.summary() });
      entry.listeners.clear();
      return;
    }
    entry.notify({
      type: 'stage',
      stage,
      description: describeStage(stage),
      counters: structuredClone(counters),
      elapsedMs: entry.elapsedMs(),
    });
  }

  private onLog(entry: BoardEntry, raw: string): void {
    if (entry.finished) return;
    const line = raw.length > this.limits.lineLength ? `${raw.slice(0, this.limits.lineLength)}…` : raw;
    entry.log.push(line);
    if (entry.log.length > this.limits.logLines) {
      entry.log.shift();
      entry.logDropped++;
    }
    entry.notify({ type: 'log', line });
  }
}

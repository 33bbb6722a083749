import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { BuilderEvent } from '@nixery/builder';
import type { GcReport } from '@nixery/gc';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How often the event-loop delay is sampled (perf_hooks' resolution, ms). */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** The registry's Prometheus metrics, each instance with its own registry (tests start many). */
export class RegistryMetrics {
  readonly registry = new Registry();
  readonly builds = new Counter({
    name: 'nixery_builds_total',
    help: 'Image builds that ran Nix, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly buildDuration = new Histogram({
    name: 'nixery_build_duration_seconds',
    help: 'Duration of image builds, by stage',
    labelNames: ['stage'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly manifestCache = new Counter({
    name: 'nixery_manifest_cache_total',
    help: 'Image lookups answered from a cache (hit) or needing a build (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly layerCache = new Counter({
    name: 'nixery_layer_cache_total',
    help: 'Layer lookups answered from the layer cache (hit) or written (miss)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly evaluations = new Counter({
    name: 'nixery_nix_evaluations_total',
    help: 'Nix evaluations of the package set started (pulls answered from the name cache need none)',
    registers: [this.registry],
  });
  readonly evaluationsRunning = new Gauge({
    name: 'nixery_nix_evaluations_running',
    help: 'Nix evaluations running now (at most NIXERY_EVAL_CONCURRENCY)',
    registers: [this.registry],
  });
  readonly evaluationsPeak = new Gauge({
    name: 'nixery_nix_evaluations_running_max',
    help: 'The most Nix evaluations that ran at once since the start',
    registers: [this.registry],
  });
  private running = 0;
  private peak = 0;
  readonly platformsOmitted = new Counter({
    name: 'nixery_platforms_omitted_total',
    help: 'Platforms left out of a built image index (no builder, or not available there), by platform and reason',
    labelNames: ['platform', 'reason'] as const,
    registers: [this.registry],
  });
  readonly bytesServed = new Counter({
    name: 'nixery_blob_bytes_served_total',
    help: 'Blob bytes sent to clients',
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'nixery_http_requests_total',
    help: 'HTTP requests by route kind, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly gcRuns = new Counter({
    name: 'nixery_gc_runs_total',
    help: 'Garbage collections run in this server, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly gcDeletedBlobs = new Counter({
    name: 'nixery_gc_deleted_blobs_total',
    help: 'Blobs deleted by garbage collection',
    registers: [this.registry],
  });
  readonly gcDeletedBytes = new Counter({
    name: 'nixery_gc_deleted_bytes_total',
    help: 'Blob bytes deleted by garbage collection',
    registers: [this.registry],
  });
  readonly gcDeletedObjects = new Counter({
    name: 'nixery_gc_deleted_objects_total',
    help: 'Manifests, image records and other objects deleted by garbage collection, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly buildsRunning = new Gauge({
    name: 'nixery_builds_running',
    help: 'Image builds admitted and running now (at most NIXERY_MAX_BUILDS)',
    registers: [this.registry],
  });
  readonly buildsQueued = new Gauge({
    name: 'nixery_builds_queued',
    help: 'Image builds waiting for admission now (at most NIXERY_BUILD_QUEUE)',
    registers: [this.registry],
  });
  readonly buildsRefused = new Counter({
    name: 'nixery_builds_refused_total',
    help: 'Builds refused by admission: queue-full (429) or draining (503, shutting down)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** Since the previous scrape; reset by each. */
  private readonly loopWindow: IntervalHistogram = monitorEventLoopDelay({
    resolution: EVENT_LOOP_RESOLUTION_MS,
  });
  /** Since the start; never reset. */
  private readonly loopLifetime: IntervalHistogram = monitorEventLoopDelay({
    resolution: EVENT_LOOP_RESOLUTION_MS,
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.loopWindow.enable();
    this.loopLifetime.enable();
    const { loopWindow, loopLifetime } = this;
    new Gauge({
      name: 'nixery_event_loop_delay_seconds',
      help: `Event-loop delay (perf_hooks.monitorEventLoopDelay, ${EVENT_LOOP_RESOLUTION_MS} ms resolution) since the previous scrape, by quantile (1: the maximum)`,
      labelNames: ['quantile'] as const,
      registers: [this.registry],
      collect() {
        for (const q of [0.5, 0.9, 0.99])
          this.set({ quantile: String(q) }, loopWindow.percentile(q * 100) / 1e9);
        this.set({ quantile: '1' }, loopWindow.max / 1e9);
        loopWindow.reset();
      },
    });
    new Gauge({
      name: 'nixery_event_loop_delay_max_seconds',
      help: 'The longest event-loop delay since the server started',
      registers: [this.registry],
      collect() {
        this.set(loopLifetime.max / 1e9);
      },
    });
  }

  /** Stops the event-loop monitors (a server closing). */
  close(): void {
    this.loopWindow.disable();
    this.loopLifetime.disable();
  }

  /** Counts one garbage collection's deletions. */
  observeGc(report: GcReport): void {
    this.gcRuns.inc({ result: 'success' });
    this.gcDeletedBlobs.inc(report.blobs.deleted);
    this.gcDeletedBytes.inc(report.blobs.deletedBytes);
    for (const [kind, count] of Object.entries(report.objectsDeleted))
      this.gcDeletedObjects.inc({ kind }, count);
  }

  /** Feeds the builder's events into the counters. */
  observe(event: BuilderEvent): void {
    switch (event.type) {
      case 'build-end':
        this.builds.inc({ result: 'success' });
        this.buildDuration.observe({ stage: 'total' }, event.timings.totalMs / 1000);
        this.buildDuration.observe({ stage: 'nix' }, event.timings.nixMs / 1000);
        this.buildDuration.observe({ stage: 'grouping' }, event.timings.groupingMs / 1000);
        this.buildDuration.observe({ stage: 'layers' }, event.timings.layersMs / 1000);
        break;
      case 'build-failed':
        this.builds.inc({ result: event.error.reason });
        break;
      case 'manifest-cache':
        this.manifestCache.inc({ result: event.hit ? 'hit' : 'miss' });
        break;
      case 'layer-cache':
        this.layerCache.inc({ result: event.hit ? 'hit' : 'miss' });
        break;
      case 'nix-evaluation':
        this.evaluations.inc();
        this.running++;
        this.peak = Math.max(this.peak, this.running);
        this.evaluationsRunning.set(this.running);
        this.evaluationsPeak.set(this.peak);
        break;
      case 'nix-evaluation-end':
        this.running--;
        this.evaluationsRunning.set(this.running);
        break;
      case 'platform-omitted':
        this.platformsOmitted.inc({ platform: event.platform, reason: event.reason });
        break;
      default:
        break;
    }
  }
}

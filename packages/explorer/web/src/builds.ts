/**
 * The adapter to the registry's build-progress feed (`GET /builds`, `GET /builds/<id>/events`:
 * server-sent events `snapshot`, `stage`, `log`, then `done` or `failed`), where an instance has
 * it. Feature-detected: without `/builds` the page shows its plain waiting state and only the
 * image request tells when the build is over. This is the one place that knows the feed's shape.
 */
export interface BuildHandlers {
  onStage(stage: string): void;
  onLog(line: string): void;
}

/** The list's entries as the progress feed gives them (`{ builds: [{ id, image, tag, … }] }`). */
interface BuildSummary {
  id?: string;
  image?: string;
  name?: string;
}

/** Follows the build of `image` until `stop()` is called; a no-op where there is no feed. */
export function followBuild(image: string, handlers: BuildHandlers): { stop(): void } {
  let stopped = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const look = async (tries: number): Promise<void> => {
    if (stopped) return;
    let list: unknown;
    try {
      const response = await fetch('/builds', { headers: { accept: 'application/json' } });
      if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return; // no feed
      list = await response.json();
    } catch {
      return;
    }
    const builds: BuildSummary[] = Array.isArray(list)
      ? list
      : ((list as { builds?: BuildSummary[] } | null)?.builds ?? []);
    const build = builds.find((b) => (b.image ?? b.name) === image && typeof b.id === 'string');
    if (!build?.id) {
      // The build may not have started yet: the image request that starts it is in flight.
      if (tries > 0) timer = setTimeout(() => void look(tries - 1), 1000);
      return;
    }
    if (stopped) return;
    source = new EventSource(`/builds/${encodeURIComponent(build.id)}/events`);
    const text = (event: MessageEvent, ...fields: string[]): string => {
      try {
        const data = JSON.parse(event.data as string) as Record<string, unknown> | string;
        if (typeof data === 'string') return data;
        for (const field of fields) if (typeof data[field] === 'string') return data[field] as string;
        return JSON.stringify(data);
      } catch {
        return String(event.data);
      }
    };
    source.addEventListener('stage', (e) =>
      handlers.onStage(text(e as MessageEvent, 'stage', 'name', 'message')),
    );
    source.addEventListener('log', (e) => handlers.onLog(text(e as MessageEvent, 'line', 'message', 'text')));
    for (const end of ['done', 'failed']) source.addEventListener(end, () => source?.close());
  };
  void look(30);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      source?.close();
    },
  };
}

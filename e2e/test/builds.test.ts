import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@nixery/config';
import { type RunningRegistry, startRegistry } from '@nixery/registry';
import { execa } from 'execa';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readEventStream, type SseEvent } from '../../apps/registry/test/support/sse.js';

// A slow image (nix/test/slow-steps.nix: two chained derivations, new for this run, each sleeping)
// pulled by skopeo: /builds shows it moving through its stages, and an event-stream client gets
// the stage changes, Nix's log lines and the end.

const SLOW_STEPS = fileURLToPath(new URL('../../nix/test/slow-steps.nix', import.meta.url));
const SECONDS = 3;

interface Build {
  id: string;
  image: string;
  requestId: string | null;
  stage: { stage: string; derivations?: { total: number; started: number } };
  links: { self: string; events: string };
}

describe('build progress of a real pull', () => {
  let dir: string;
  let registry: RunningRegistry;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nixery-e2e-builds-'));
    const set = join(dir, 'set');
    await mkdir(set);
    await writeFile(
      join(set, 'default.nix'),
      `{ system ? builtins.currentSystem, ... }: import ${SLOW_STEPS} { inherit system; nonce = "${randomUUID()}"; seconds = ${SECONDS}; }\n`,
    );
    registry = await startRegistry({
      config: loadConfig({
        env: {
          STORAGE_PATH: join(dir, 'storage'),
          PORT: '0',
          NIXERY_PKGS_PATH: set,
          NIXERY_NIX_SUBSTITUTERS: '',
        },
      }),
      host: '127.0.0.1',
      logger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) }),
    });
  });
  afterAll(async () => {
    await registry?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('skopeo pulls slowsteps; /builds and the event stream follow it to done', async () => {
    const host = registry.url.slice('http://'.length);
    const pull = execa(
      'skopeo',
      [
        'copy',
        '--src-tls-verify=false',
        `docker://${host}/slowsteps:latest`,
        `oci:${join(dir, 'oci')}:latest`,
      ],
      { reject: false },
    );

    // The board lists the build as soon as it starts.
    let build: Build | undefined;
    const seenOnBoard: string[] = [];
    for (let i = 0; i < 600 && !build; i++) {
      const { builds } = (await (await fetch(`${registry.url}/builds`)).json()) as { builds: Build[] };
      build = builds.find((b) => b.image === 'slowsteps');
      if (!build) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!build) throw new Error('the build never showed on /builds');
    seenOnBoard.push(build.stage.stage);

    // One client streams the events; meanwhile /builds is polled for the stages it shows.
    const streaming = readEventStream(`${registry.url}${build.links.events}`);
    const id = build.id;
    /** Notes the stage the board shows now when it differs from the last one seen. */
    const look = async (): Promise<string> => {
      const one = (await (await fetch(`${registry.url}/builds/${id}`)).json()) as Build;
      if (seenOnBoard.at(-1) !== one.stage.stage) seenOnBoard.push(one.stage.stage);
      return one.stage.stage;
    };
    let polling = true;
    const polled = (async () => {
      while (polling) {
        const stage = await look();
        if (stage === 'done' || stage === 'failed') return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const { status, events } = await streaming;
    const pulled = await pull;
    polling = false;
    await polled;
    // The poller may stop between two polls; the board's last word on the build is asked once more.
    await look();

    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(status).toBe(200);
    expect(events[0]?.event).toBe('snapshot');
    expect(events.at(-1)?.event).toBe('done');
    const stages = events.filter((e) => e.event === 'stage').map((e) => JSON.parse(e.data).stage);
    const order = stages
      .map((s: { stage: string }) => s.stage)
      .filter((s: string, i: number, all: string[]) => s !== all[i - 1]);
    expect(order).toEqual(expect.arrayContaining(['building', 'grouping', 'writing']));
    expect(order.indexOf('building')).toBeLessThan(order.indexOf('grouping'));
    expect(order.indexOf('grouping')).toBeLessThan(order.indexOf('writing'));
    // Both slow derivations start while the client watches (each sleeps SECONDS).
    const building = stages.filter((s: Build['stage']) => s.stage === 'building');
    const last = building.at(-1) as Build['stage'];
    expect(last.derivations?.started).toBe(last.derivations?.total);
    expect(
      building.some((s: Build['stage']) => s.derivations?.started === (last.derivations?.total ?? 0) - 1),
    ).toBe(true);

    // Nix's own lines, as they came.
    const logs = events
      .filter((e: SseEvent) => e.event === 'log')
      .map((e) => JSON.parse(e.data).line as string);
    expect(logs).toContain(`slowDemo: sleeping for ${SECONDS} seconds`);
    expect(logs.some((l) => /^building '\/nix\/store\/[0-9a-z]{32}-slow-step-b-1\.0\.drv'/.test(l))).toBe(
      true,
    );
    const done = JSON.parse(events.at(-1)?.data ?? '{}');
    expect(done).toMatchObject({
      id,
      image: 'slowsteps',
      stage: { stage: 'done' },
      endedAt: expect.any(String),
    });

    // /builds showed the build in flight and finally done (the stream above has every stage;
    // grouping and writing this image take less than a poll interval now).
    expect(seenOnBoard.length, seenOnBoard.join(' → ')).toBeGreaterThanOrEqual(2);
    expect(seenOnBoard, seenOnBoard.join(' → ')).toContain('building');
    expect(seenOnBoard.at(-1)).toBe('done');

    // The front page links the board; the board lists the finished build.
    expect(await (await fetch(`${registry.url}/`)).text()).toContain('href="/builds"');
    const { builds } = (await (await fetch(`${registry.url}/builds`)).json()) as { builds: Build[] };
    expect(builds.find((b) => b.id === id)?.stage.stage).toBe('done');

    // The log: each line of the build names its build, image and the request that started it.
    const mine = logLines.filter((l) => l.build === id);
    const requestId = done.requestId as string;
    expect(requestId).toEqual(expect.any(String));
    expect(mine.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['build started', 'nix', 'build finished']),
    );
    for (const line of mine) expect(line).toMatchObject({ image: 'slowsteps', reqId: requestId });
    expect(logLines.some((l) => (l.req as { id?: string } | undefined)?.id === requestId)).toBe(true);
  });

  test('a failing build ends failed on the board, with its reason and the Nix log', async () => {
    const response = await fetch(`${registry.url}/v2/brokendemo/manifests/latest`);
    expect(response.status).toBe(500);
    const { builds } = (await (await fetch(`${registry.url}/builds`)).json()) as { builds: Build[] };
    const failed = builds.find((b) => b.image === 'brokendemo');
    expect(failed?.stage).toMatchObject({ stage: 'failed', reason: 'build-failed' });
    // A finished build's stream: its snapshot (with the log), then its end.
    const { events } = await readEventStream(`${registry.url}${failed?.links.events}`);
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'failed']);
    const snapshot = JSON.parse(events[0]?.data ?? '{}') as { log: string[] };
    expect(snapshot.log).toContain('brokenDemo: error: this demo build fails on purpose');
    const detail = await fetch(`${registry.url}/builds/${failed?.id}`, { headers: { Accept: 'text/html' } });
    expect(await detail.text()).toContain('failed (build-failed)');
  });
});

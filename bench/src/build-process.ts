// A builder in a Node process of its own, for the figures that time builds in-process: it starts
// fresh, as a server does, instead of inheriting the benchmark's heap (earlier sections leave
// hundreds of MB of it) and the copy-on-write faults of its forks (processes.ts). Run it through
// BuilderProcess below; each message is one build (in-process-build.ts), answered with its result.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildInProcess } from './in-process-build.js';
import { stopChild } from './processes.js';

type BuildRequest = Parameters<typeof buildInProcess>[0];
type BuildResult = Awaited<ReturnType<typeof buildInProcess>>;
type Answer = { ok: true; result: BuildResult } | { ok: false; message: string };

if (process.send && process.env.NIXERY_BENCH_BUILDER === '1') {
  const reply = process.send.bind(process);
  process.on('message', (request: BuildRequest) => {
    buildInProcess(request).then(
      (result) => reply({ ok: true, result } satisfies Answer),
      (error: unknown) =>
        reply({ ok: false, message: error instanceof Error ? error.message : String(error) }),
    );
  });
}

/** One builder process; builds run one at a time. */
export class BuilderProcess {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: ChildProcess) {}

  static start(): BuilderProcess {
    const child = fork(fileURLToPath(import.meta.url), [], {
      // The bench's own TypeScript through tsx; the builder itself is the compiled one (dist/).
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NIXERY_BENCH_BUILDER: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new BuilderProcess(child);
  }

  build(request: BuildRequest): Promise<BuildResult> {
    const next = this.queue.then(
      () =>
        new Promise<BuildResult>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`the builder process exited (${code})`));
          this.child.once('exit', onExit);
          this.child.once('message', (answer: Answer) => {
            this.child.off('exit', onExit);
            if (answer.ok) resolve(answer.result);
            else reject(new Error(`build of ${request.image} failed: ${answer.message}`));
          });
          this.child.send(request);
        }),
    );
    this.queue = next.catch(() => {});
    return next;
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

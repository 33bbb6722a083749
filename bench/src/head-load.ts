import { Agent, request } from 'node:http';

/**
 * Closed-loop HEAD load: `connections` kept-alive connections, each sending the next request as
 * soon as the last one is answered, for `seconds`. autocannon cannot do this: its response parser
 * waits for a body of Content-Length bytes after a HEAD, so no HEAD ever completes.
 */
export async function headLoad(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<{ requestsPerSecond: number; p99Ms: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request(url, { method: 'HEAD', agent, headers }, (res) => {
        res.resume();
        res.once('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.once('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await once();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p99Ms: Math.round(p99 * 10) / 10,
    errors,
  };
}

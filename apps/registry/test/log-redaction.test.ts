import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';
import { RawConnection } from './support/raw-http.js';

let dir: string;
let registry: RunningRegistry;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-logs-'));
  registry = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: join(dir, 'storage'), PORT: '0' } }),
    host: '127.0.0.1',
    logger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }),
  });
});
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

async function send(head: string) {
  const connection = await RawConnection.open(registry.port);
  try {
    connection.write(head);
    return await connection.readAnswer();
  } finally {
    connection.destroy();
  }
}

/** The pino-http line of the request with this id (it is written when the response finishes). */
interface RequestLogLine {
  req: { url: string; query?: Record<string, string>; headers: Record<string, string> };
}

async function requestLog(id: string): Promise<RequestLogLine> {
  for (let i = 0; i < 50; i++) {
    const line = logLines.find((l) => l.includes(`"id":"${id}"`) && l.includes('"req"'));
    if (line) return JSON.parse(line) as RequestLogLine;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no log line for request ${id}`);
}

describe('the request log keeps credentials out', () => {
  test('user info of an absolute-form target, query values, cookies and proxy credentials', async () => {
    const target = `http://alice:hunter2-userinfo@127.0.0.1:${registry.port}/v2/?token=tok-query-secret&flag&n=2#frag-secret`;
    const answer = await send(
      [
        `GET ${target} HTTP/1.1`,
        'Host: 127.0.0.1',
        'X-Request-Id: redact-absolute',
        'Cookie: session=cookie-secret',
        'Proxy-Authorization: Basic cHJveHk6cHJveHktc2VjcmV0',
        'Authorization: Bearer bearer-secret',
        'Referer: https://bob:referer-pass@example.org/p?key=referer-secret',
        '',
        '',
      ].join('\r\n'),
    );
    // The absolute form is served like its path.
    expect(answer.status).toBe(200);
    const entry = await requestLog('redact-absolute');
    expect(entry.req.url).toBe(
      `http://[redacted]@127.0.0.1:${registry.port}/v2/?token=[redacted]&flag&n=[redacted]#[redacted]`,
    );
    expect(entry.req.query).toEqual({ token: '[redacted]', flag: '[redacted]', n: '[redacted]' });
    expect(entry.req.headers.cookie).toBe('[redacted]');
    expect(entry.req.headers['proxy-authorization']).toBe('[redacted]');
    expect(entry.req.headers.authorization).toBe('[redacted]');
    expect(entry.req.headers.referer).toBe('https://[redacted]@example.org/p?key=[redacted]');
    const all = logLines.join('\n');
    for (const secret of [
      'hunter2-userinfo',
      'alice',
      'tok-query-secret',
      'frag-secret',
      'cookie-secret',
      'cHJveHk6cHJveHktc2VjcmV0',
      'bearer-secret',
      'referer-pass',
      'referer-secret',
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  test('an unknown absolute-form path is answered without echoing the user info', async () => {
    const answer = await send(
      'GET http://carol:echo-secret@127.0.0.1/v2/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: redact-404\r\n\r\n',
    );
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).errors[0].message).toBe('no registry endpoint at /v2/nowhere');
    expect((await requestLog('redact-404')).req.url).toBe('http://[redacted]@127.0.0.1/v2/nowhere');
    expect(logLines.join('\n')).not.toContain('echo-secret');
  });

  test('an ordinary request is logged as it came', async () => {
    await send('GET /v2/hello/tags/list HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: redact-none\r\n\r\n');
    const entry = await requestLog('redact-none');
    expect(entry.req.url).toBe('/v2/hello/tags/list');
    expect(entry.req.headers.host).toBe('127.0.0.1');
  });
});

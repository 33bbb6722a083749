import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';
import { keepWriting, RawConnection } from './support/raw-http.js';

let dir: string;
let registry: RunningRegistry;
let privateRegistry: RunningRegistry;
const GIGABYTE = 1024 ** 3;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-body-'));
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, 'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO\n');
  const logger = pino({ level: 'silent' });
  registry = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: join(dir, 'public'), PORT: '0' } }),
    host: '127.0.0.1',
    logger,
  });
  privateRegistry = await startRegistry({
    config: loadConfig({
      env: { STORAGE_PATH: join(dir, 'private'), PORT: '0', NIXERY_AUTH_FILE: htpasswd },
    }),
    host: '127.0.0.1',
    logger,
  });
});
afterAll(async () => {
  await registry?.close();
  await privateRegistry?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Announces a huge body, reads the refusal while still sending, then times the server's close. */
async function refuseWhileWriting(port: number, head: string) {
  const connection = await RawConnection.open(port);
  connection.write(head);
  const stop = keepWriting(connection);
  try {
    const answer = await connection.readAnswer({ head: head.startsWith('HEAD ') });
    const answeredAt = Date.now();
    const closed = await connection.waitClosed(1_000);
    return { answer, closed, closedWithinMs: Date.now() - answeredAt };
  } finally {
    stop();
    connection.destroy();
  }
}

describe('request bodies are never read', () => {
  test('a PUT announcing 1 GB gets its 405 and the connection is closed at once', async () => {
    const { answer, closed, closedWithinMs } = await refuseWhileWriting(
      registry.port,
      `PUT /v2/hello/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${GIGABYTE}\r\n\r\n`,
    );
    expect(answer.status).toBe(405);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body).errors[0].code).toBe('UNSUPPORTED');
    expect(closed).toBe(true);
    expect(closedWithinMs).toBeLessThan(1_000);
  });

  test('a chunked POST is refused and closed the same way', async () => {
    const { answer, closed } = await refuseWhileWriting(
      registry.port,
      'POST /v2/hello/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n',
    );
    expect(answer.status).toBe(405);
    expect(answer.headers.connection).toBe('close');
    expect(closed).toBe(true);
  });

  test('a 401 for a push without credentials closes the connection too', async () => {
    const { answer, closed } = await refuseWhileWriting(
      privateRegistry.port,
      `PUT /v2/hello/manifests/latest HTTP/1.1\r\nHost: x\r\nContent-Length: ${GIGABYTE}\r\n\r\n`,
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['www-authenticate']).toMatch(/^Basic /);
    expect(closed).toBe(true);
  });

  test('a path outside /v2/ with a body gets its 404 and a closed connection', async () => {
    const { answer, closed } = await refuseWhileWriting(
      registry.port,
      `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${GIGABYTE}\r\n\r\n`,
    );
    expect(answer.status).toBe(404);
    expect(closed).toBe(true);
  });

  test.each([
    ['GET', 'Content-Length: 1000000000'],
    ['HEAD', 'Content-Length: 5'],
    ['GET', 'Transfer-Encoding: chunked'],
  ])('%s with %s is refused at its headers with a 400 and a closed connection', async (method, header) => {
    const { answer, closed } = await refuseWhileWriting(
      registry.port,
      `${method} /v2/hello/manifests/latest HTTP/1.1\r\nHost: x\r\n${header}\r\n\r\n`,
    );
    expect(answer.status).toBe(400);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    if (method === 'GET') {
      expect(JSON.parse(answer.body)).toEqual({
        errors: [
          {
            code: 'UNSUPPORTED',
            message: 'a GET request carries no body; this one announces one',
            detail: null,
          },
        ],
      });
    }
    expect(closed).toBe(true);
  });

  test('requests without a body keep their connection alive', async () => {
    const connection = await RawConnection.open(registry.port);
    try {
      for (const head of [
        'GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v2/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
        'DELETE /v2/hello/manifests/latest HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n',
      ]) {
        connection.write(head);
        const answer = await connection.readAnswer();
        expect(answer.status).toBeLessThan(500);
        expect(answer.headers.connection).toBe('keep-alive');
      }
      expect(await connection.waitClosed(200)).toBe(false);
    } finally {
      connection.destroy();
    }
  });
});

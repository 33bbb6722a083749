import { request } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * A minimal server-sent-events client over node:http: collects events (and comment lines, as
 * `event: ''`) until the server ends the stream or `until` returns true.
 */
export function readEventStream(
  url: string,
  options: {
    headers?: Record<string, string>;
    until?: (events: SseEvent[]) => boolean;
    comments?: boolean;
  } = {},
): Promise<{ status: number; contentType: string; events: SseEvent[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...options.headers } }, (res) => {
      const events: SseEvent[] = [];
      let buffer = '';
      let body = '';
      const finish = () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type']),
          events,
          body,
        });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          let event = 'message';
          const data: string[] = [];
          let comment = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comment = true;
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (comment && data.length === 0) {
            if (options.comments) events.push({ event: '', data: block });
          } else events.push({ event, data: data.join('\n') });
          if (options.until?.(events)) {
            req.destroy();
            finish();
            return;
          }
        }
      });
      res.on('end', finish);
      res.on('error', () => finish());
    });
    req.on('error', reject);
    req.end();
  });
}

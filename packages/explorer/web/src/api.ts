import type { ImageReport } from '../../src/report.js';

/** A failure the registry reported in its JSON error format (or a transport failure). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

/** `/api/images/shell/git?tag=…`: each name component percent-encoded, the slashes kept. */
export function imageApiPath(name: string, tag: string): string {
  const path = name.split('/').map(encodeURIComponent).join('/');
  return `/api/images/${path}${tag === 'latest' ? '' : `?tag=${encodeURIComponent(tag)}`}`;
}

/**
 * The image's report. The request waits while the registry builds the image (the same build a
 * pull starts); a dropped connection or a proxy's gateway error is retried, so the page keeps
 * waiting until the image is ready or the registry names a failure.
 */
export async function fetchImage(name: string, tag: string, signal?: AbortSignal): Promise<ImageReport> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(imageApiPath(name, tag), {
        headers: { accept: 'application/json' },
        signal: signal ?? null,
      });
    } catch (error) {
      if (signal?.aborted || attempt >= 30)
        throw new ApiError(`the registry could not be reached: ${String(error)}`, 0, null);
      await pause(2000);
      continue;
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.ok) return (await response.json()) as ImageReport;
    if (type.includes('json')) {
      const body = (await response.json().catch(() => null)) as {
        errors?: { code?: string; message?: string }[];
      } | null;
      const first = body?.errors?.[0];
      throw new ApiError(first?.message ?? `HTTP ${response.status}`, response.status, first?.code ?? null);
    }
    // Not the registry's answer (a proxy in between gave up): ask again.
    if ([502, 503, 504].includes(response.status) && attempt < 30) {
      await pause(2000);
      continue;
    }
    throw new ApiError(`HTTP ${response.status}`, response.status, null);
  }
}

/** Recently built images, newest first (empty on an instance that has built nothing yet). */
export async function fetchRecent(): Promise<{ name: string; tag: string }[]> {
  const response = await fetch('/api/images', { headers: { accept: 'application/json' } });
  if (!response.ok) return [];
  const body = (await response.json()) as { images?: { name: string; tag: string }[] };
  return body.images ?? [];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

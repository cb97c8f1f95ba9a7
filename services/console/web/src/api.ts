/**
 * The console's connection to its API. The token lives in this module's memory only: never in
 * storage, a cookie or a URL. The live feed is read with fetch (EventSource cannot send an
 * Authorization header) and reconnects by itself when the service restarts.
 */
import { sseReader } from '../../../../libs/console/sse';
import type { Session } from './types';

export type { Session };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = null;
export const setToken = (t: string | null) => {
  token = t;
};
export const hasToken = () => token !== null;

async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const bytes = body instanceof Blob;
  const res = await fetch(path, {
    method,
    cache: 'no-store',
    headers: {
      authorization: `Bearer ${token ?? ''}`,
      ...(body === undefined
        ? {}
        : { 'content-type': bytes ? body.type || 'application/octet-stream' : 'application/json' }),
    },
    body: body === undefined ? undefined : bytes ? body : JSON.stringify(body),
  });
  if (!res.ok) {
    let reason = `${res.status} ${res.statusText}`;
    try {
      const problem = (await res.json()) as { title?: string };
      if (problem.title) reason = problem.title;
    } catch {
      // not a problem document; the status line says enough
    }
    throw new ApiError(res.status, reason);
  }
  return res;
}

export const getJson = async <T>(path: string): Promise<T> =>
  (await request('GET', path)).json() as Promise<T>;
export const postJson = async <T>(path: string, body: unknown = {}): Promise<T> =>
  (await request('POST', path, body)).json() as Promise<T>;

/** Sends a file's bytes as the body (a photo: the server tells its type by its content). */
export const postFile = async <T>(path: string, file: Blob): Promise<T> =>
  (await request('POST', path, file)).json() as Promise<T>;

/** An image fetched with the token, as a blob: URL the page may show (the CSP allows blob: images). */
export const blobUrl = async (path: string): Promise<string> =>
  URL.createObjectURL(await (await request('GET', path)).blob());

/** Downloads an answer as a file (the report exports): fetched with the token, saved from a blob. */
export async function download(path: string, filename: string): Promise<void> {
  const blob = await (await request('GET', path)).blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'signed out';

/** Follows /api/feed until stopped; `onEvent` gets each event's name and parsed data. */
export function followFeed(
  onEvent: (event: string, data: unknown) => void,
  onStatus: (s: FeedStatus, detail?: string) => void,
): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  let delay = 500;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        onStatus(delay === 500 ? 'connecting' : 'reconnecting');
        const res = await fetch('/api/feed', {
          cache: 'no-store',
          headers: { authorization: `Bearer ${token ?? ''}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (res.status === 401 || res.status === 403) {
          onStatus('signed out', 'the token is no longer accepted');
          return;
        }
        if (!res.ok || !res.body) throw new Error(`feed answered ${res.status}`);
        onStatus('live');
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const read = sseReader(onEvent);
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          read(value);
        }
      } catch (err) {
        if (stopped) return;
        onStatus('reconnecting', (err as Error).message);
      }
      if (stopped) return;
      onStatus('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

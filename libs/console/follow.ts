/** Reads the console's live feed from Node (the event-to-screen benchmark and the tests). */
import http from 'node:http';
import { sseReader } from './sse';

export interface FeedFollower {
  close(): void;
}

/** Calls `onEvent` with each Server-Sent Event of GET {baseUrl}api/feed until closed. */
export function followConsoleFeed(
  baseUrl: string,
  token: string,
  onEvent: (event: string, data: unknown, receivedAt: number) => void,
  onError: (err: Error) => void = () => {},
): FeedFollower {
  const req = http.get(new URL('api/feed', baseUrl), {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      onError(new Error(`the console's feed answered ${res.statusCode}`));
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    // A chunk's events all count as received when the chunk came.
    let receivedAt = 0;
    const read = sseReader((event, data) => onEvent(event, data, receivedAt));
    res.on('data', (chunk: string) => {
      receivedAt = Date.now();
      read(chunk);
    });
  });
  req.on('error', (err) => onError(err));
  return { close: () => req.destroy() };
}

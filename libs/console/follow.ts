/** Reads the console's live feed from Node (the event-to-screen benchmark and the tests). */
import http from 'node:http';

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
    let buffer = '';
    res.on('data', (chunk: string) => {
      const receivedAt = Date.now();
      buffer += chunk;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')), receivedAt);
      }
    });
  });
  req.on('error', (err) => onError(err));
  return { close: () => req.destroy() };
}

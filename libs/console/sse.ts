/**
 * Server-Sent Events, read: the page (through fetch, which can send the token) and Node's follower
 * (the event-to-screen benchmark) cut the stream the same way. Imports nothing, so the page's
 * bundle takes it as it is.
 */
export function sseReader(onEvent: (event: string, data: unknown) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
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
      if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
    }
  };
}

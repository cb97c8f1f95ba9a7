import net from 'node:net';
import { createCodec } from '.';
import { UnitrailError } from '../errors';

/** A framed record (magic 0, schema id 7) with any body: the registry is asked for schema 7. */
const framed = Buffer.from([0, 0, 0, 0, 7, 2, 0]);

/** A TCP server that answers every connection with `answer` (reset it, or send an HTTP reply). */
async function server(
  answer: (socket: net.Socket) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = net.createServer(answer);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

const decodeError = async (url: string) =>
  createCodec({ url })
    .decode(framed)
    .then(
      () => undefined,
      (err: unknown) => err as UnitrailError,
    );

describe('the codec when the registry fails', () => {
  it('calls a registry that resets its connections an outage (retriable), not a bad record', async () => {
    const s = await server((socket) => socket.resetAndDestroy());
    try {
      const err = await decodeError(s.url);
      expect(err).toBeInstanceOf(UnitrailError);
      expect(err!.retriable).toBe(true);
      expect(err!.code).toBe('DEPENDENCY_REGISTRY');
    } finally {
      await s.close();
    }
  });

  it('calls a registry that refuses connections an outage (retriable)', async () => {
    const s = await server(() => {});
    await s.close(); // nothing listens on the port now
    const err = await decodeError(s.url);
    expect(err!.retriable).toBe(true);
    expect(err!.code).toBe('DEPENDENCY_REGISTRY');
  });

  it('calls an unknown schema id a bad record (not retriable, DECODE_UNKNOWN_SCHEMA)', async () => {
    const s = await server((socket) =>
      socket.once('data', () => {
        const body = JSON.stringify({ error_code: 40403, message: 'Schema 7 not found' });
        socket.end(
          `HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      }),
    );
    try {
      const err = await decodeError(s.url);
      expect(err!.retriable).toBe(false);
      expect(err!.code).toBe('DECODE_UNKNOWN_SCHEMA');
    } finally {
      await s.close();
    }
  });
});

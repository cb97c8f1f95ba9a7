/**
 * The scaffold every HTTP service shares (capture API, ops API, console): listen with a one-line
 * error naming the setting to change, close without waiting for idle keep-alive sockets, and serve
 * until SIGTERM/SIGINT, then stop cleanly.
 */
import type http from 'node:http';
import { ConfigError, oneLine } from '../errors';

/** Listens on `port` (0: any free one) and returns the port bound. */
export async function listenOn(
  server: http.Server,
  {
    port,
    host = '0.0.0.0',
    service,
    portSetting,
  }: { port: number; host?: string; service: string; portSetting: string },
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new ConfigError(`${service} cannot listen on port ${port}: ${oneLine(err)} (set ${portSetting})`),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/**
 * Stops taking connections; resolves when the server has closed. Idle keep-alive sockets are closed
 * at once; with `all`, busy ones too (long-lived streams the caller has already ended).
 */
export function closeServer(server: http.Server, { all = false } = {}): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  if (all) server.closeAllConnections();
  else server.closeIdleConnections();
  return closed;
}

/** `unitrail run <service>`: starts it, serves until SIGTERM/SIGINT, then stops it cleanly. */
export async function serveUntilSignalled(start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const running = await start();
  await new Promise<void>((resolve) => {
    const onSignal = () => void running.stop().then(resolve);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

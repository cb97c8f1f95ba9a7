/** Redis: the machine's own when it answers; otherwise a project-local server in the state dir. */
import Redis from 'ioredis';
import { oneLine } from '../errors';
import type { Probe } from './postgres';

export async function redisProbe(url: string, timeoutMs = 3000): Promise<Probe> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // reported through the rejected promise below
  try {
    await client.connect();
    await client.ping();
    return { up: true };
  } catch (err) {
    const reason = oneLine(err);
    const refused = /ECONNREFUSED|ETIMEDOUT|ECONNRESET|timeout|Connection is closed/i.test(reason);
    return { up: false, refused, reason };
  } finally {
    client.disconnect();
  }
}

/** Loopback only, snapshots in its own dir so the seen-set survives a restart. */
export function redisArgs(home: string, port: number): string[] {
  return [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    home,
    '--save',
    '60 1000',
    '--appendonly',
    'no',
  ];
}

/** redis-server rewrites its title to `redis-server 127.0.0.1:<port>`. */
export function redisMarker(port: number): RegExp {
  return new RegExp(`redis-server.*(:${port}\\b|--port ${port}\\b)`);
}

import net from 'node:net';
import { DependencyError } from '../errors';
import { createPool, db, isConnectionFailure, sslOptions } from '.';

/** A "server" that accepts and hangs up at once: what a client sees of a cut line. */
async function hangingUp(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('data', () => s.destroy());
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((res) => server.close(() => res()));
    },
  };
}

describe('connection failures', () => {
  it('are classified by SQLSTATE class and errno code, never by message', () => {
    expect(isConnectionFailure({ code: '08006' })).toBe(true);
    expect(isConnectionFailure({ code: '57P01' })).toBe(true);
    expect(isConnectionFailure({ code: '53300' })).toBe(true);
    expect(isConnectionFailure({ code: '40P01' })).toBe(true);
    expect(isConnectionFailure({ code: 'ECONNRESET' })).toBe(true);
    expect(isConnectionFailure({ code: '23505' })).toBe(false); // unique violation: the data, not the line
    expect(isConnectionFailure({ code: '22021' })).toBe(false); // bad UTF-8: the data
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(false);
  });

  it('a server that hangs up is a retriable DependencyError, not a crash', async () => {
    const server = await hangingUp();
    const pool = createPool(`postgresql://u@127.0.0.1:${server.port}/x`, { max: 1 });
    try {
      const err = await db('probe', () => pool.query('SELECT 1')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DependencyError);
      expect((err as DependencyError).retriable).toBe(true);
      expect((err as DependencyError).code).toBe('DEPENDENCY_POSTGRES');
    } finally {
      await pool.end();
      await server.close();
    }
  });

  it('nothing listening is a retriable DependencyError', async () => {
    const server = await hangingUp();
    const port = server.port;
    await server.close();
    const pool = createPool(`postgresql://u@127.0.0.1:${port}/x`, { max: 1 });
    try {
      await expect(db('probe', async () => (await pool.connect()).release())).rejects.toBeInstanceOf(
        DependencyError,
      );
    } finally {
      await pool.end();
    }
  });
});

describe('sslOptions', () => {
  it('follows libpq sslmode', () => {
    expect(sslOptions({ sslMode: 'disable' })).toBeUndefined();
    expect(sslOptions({ sslMode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(sslOptions({ sslMode: 'verify-full', ca: 'PEM' })).toEqual({
      rejectUnauthorized: true,
      ca: 'PEM',
    });
    const verifyCa = sslOptions({ sslMode: 'verify-ca', ca: 'PEM' }) as {
      checkServerIdentity: () => unknown;
    };
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });
});

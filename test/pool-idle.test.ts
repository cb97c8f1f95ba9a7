/**
 * Connections of the services that answer people stay open between requests (createPool's
 * keepIdle): a new connection is a new PostgreSQL backend, with its shared buffers to map, its
 * caches to fill and its statements to plan again. Against a real PostgreSQL, past node-pg's idle
 * timeout: the default pool closes its idle backend, a kept one still answers from the same backend.
 */
import type pg from 'pg';
import { config } from './helpers';
import { createPool, IDLE_CONNECTION_MS } from '../libs/store';
import { openOpsDeps } from '../libs/recalls';

jest.setTimeout(60_000);

const backend = async (pool: pg.Pool) =>
  Number((await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);

const alive = async (probe: pg.Pool, pid: number) =>
  (await probe.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;

test('past the idle timeout a default pool has closed its backend and a kept one answers from the same backend', async () => {
  const probe = createPool(config.databaseUrl, { max: 1 });
  const byDefault = createPool(config.databaseUrl, { max: 2 });
  const kept = createPool(config.databaseUrl, { max: 2, keepIdle: true });
  const ops = await openOpsDeps(config, { poolSize: 2 });
  try {
    const [defaultPid, keptPid, opsPid] = [
      await backend(byDefault),
      await backend(kept),
      await backend(ops.pool),
    ];
    expect(await alive(probe, defaultPid)).toBe(true);

    await new Promise((r) => setTimeout(r, IDLE_CONNECTION_MS + 1_500));

    expect(byDefault.idleCount).toBe(0);
    expect(await alive(probe, defaultPid)).toBe(false);
    expect(kept.idleCount).toBe(1);
    expect(await backend(kept)).toBe(keptPid);
    // The ops API's and the console's pool (openOpsDeps) is a kept one.
    expect(await backend(ops.pool)).toBe(opsPid);
  } finally {
    await Promise.all([probe.end(), byDefault.end(), kept.end(), ops.close()]);
  }
});

/**
 * What the backends of one database wait on, sampled from pg_stat_activity: the share of the time
 * they spend inside a transaction (the sink's writes) that is spent waiting on a heavyweight lock
 * (rows, advisory locks, another transaction's id) or on a lightweight lock (buffers, WAL).
 */
import type pg from 'pg';

export interface WaitShares {
  /** Backend samples taken inside a transaction (active or idle in transaction). */
  samples: number;
  /** Of those, the share waiting on a heavyweight lock (wait_event_type 'Lock'). */
  lock_wait_share: number;
  /** Of those, the share waiting on a lightweight lock (wait_event_type 'LWLock'). */
  lwlock_wait_share: number;
  /** The heavyweight lock waits by wait_event (relation, tuple, transactionid, advisory...). */
  lock_waits: Record<string, number>;
  /** The relation-extension waits (`extend`) by the relation being extended: where to spread. */
  extend_waits: Record<string, number>;
}

/**
 * Samples every `everyMs` until stop() is called; `pool` must reach the database to watch (its
 * own connection is left out).
 */
export function sampleWaits(
  pool: pg.Pool,
  { everyMs = 50 }: { everyMs?: number } = {},
): {
  stop: () => Promise<WaitShares>;
} {
  let running = true;
  let samples = 0;
  let lock = 0;
  let lwlock = 0;
  const lockWaits: Record<string, number> = {};
  const extendWaits: Record<string, number> = {};
  const loop = (async () => {
    while (running) {
      try {
        const r = await pool.query<{
          wait_event_type: string | null;
          wait_event: string | null;
          extending: string | null;
        }>(
          `SELECT a.wait_event_type, a.wait_event,
                  (SELECT l.relation::regclass::text FROM pg_locks l
                    WHERE l.pid = a.pid AND l.locktype = 'extend' AND NOT l.granted LIMIT 1) AS extending
             FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
              AND a.xact_start IS NOT NULL AND a.state IN ('active', 'idle in transaction')`,
        );
        for (const b of r.rows) {
          samples++;
          if (b.wait_event_type === 'Lock') {
            lock++;
            lockWaits[b.wait_event ?? '?'] = (lockWaits[b.wait_event ?? '?'] ?? 0) + 1;
            if (b.wait_event === 'extend')
              extendWaits[b.extending ?? '?'] = (extendWaits[b.extending ?? '?'] ?? 0) + 1;
          } else if (b.wait_event_type === 'LWLock') lwlock++;
        }
      } catch {
        // the database may be going away at the end of a drain; the samples so far stand
      }
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const share = (n: number) => (samples === 0 ? 0 : Number((n / samples).toFixed(3)));
      return {
        samples,
        lock_wait_share: share(lock),
        lwlock_wait_share: share(lwlock),
        lock_waits: lockWaits,
        extend_waits: extendWaits,
      };
    },
  };
}

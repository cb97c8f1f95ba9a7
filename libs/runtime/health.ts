/**
 * What /healthz answers for a stage, told truthfully: Kubernetes restarts or stops routing to a
 * stage that says it is unhealthy, so a stage must not say "ok" while its consumer is down, in a
 * crash loop, or stuck retrying one batch.
 */

export interface HealthReport {
  ok: boolean;
  /** Why not, for a person (absent when ok). */
  reason?: string;
  detail: Record<string, unknown>;
}

export interface HealthTracker {
  joined(): void;
  crashed(error: string): void;
  /** A batch was committed: the consumer works. */
  progressed(): void;
  retrying(error: string): void;
  /** The batch that was being retried succeeded or was given up. */
  retried(): void;
  stopping(): void;
  report(): HealthReport;
}

/**
 * Unhealthy when:
 *  - not (yet, or no longer) a member of the consumer group;
 *  - the consumer crashed and has neither committed a batch nor stayed up `unhealthyAfterMs` since;
 *  - `restartLoopCrashes` crashes or more within the last 5 × `unhealthyAfterMs` (a restart loop,
 *    even while each restart rejoins the group for a moment);
 *  - one batch has been retried for longer than `unhealthyAfterMs` (a dependency outage that lasts);
 *  - stopping.
 */
export function createHealth({
  unhealthyAfterMs = 60_000,
  restartLoopCrashes = 3,
  now = Date.now,
}: {
  unhealthyAfterMs?: number;
  restartLoopCrashes?: number;
  now?: () => number;
} = {}): HealthTracker {
  const s = {
    joined: false,
    joinedAt: 0,
    stopping: false,
    lastCrash: null as { at: number; error: string } | null,
    crashes: [] as number[],
    retryingSince: null as number | null,
    retryError: null as string | null,
    lastBatchAt: 0,
  };
  const loopWindow = 5 * unhealthyAfterMs;
  return {
    joined() {
      s.joined = true;
      s.joinedAt = now();
    },
    crashed(error) {
      s.joined = false;
      s.lastCrash = { at: now(), error };
      s.crashes = [...s.crashes.filter((t) => now() - t < loopWindow), now()];
    },
    progressed() {
      s.lastBatchAt = now();
      if (s.lastCrash && s.lastBatchAt > s.lastCrash.at) s.lastCrash = null;
    },
    retrying(error) {
      s.retryingSince ??= now();
      s.retryError = error;
    },
    retried() {
      s.retryingSince = null;
      s.retryError = null;
    },
    stopping() {
      s.stopping = true;
    },
    report() {
      const t = now();
      s.crashes = s.crashes.filter((c) => t - c < loopWindow);
      const detail: Record<string, unknown> = {
        joined: s.joined,
        lastBatchAt: s.lastBatchAt || null,
        crashesRecently: s.crashes.length,
        lastCrash: s.lastCrash?.error ?? null,
        retrying: s.retryError,
        retryingForSeconds: s.retryingSince === null ? null : Math.round((t - s.retryingSince) / 1000),
      };
      const unhealthy = (reason: string): HealthReport => ({ ok: false, reason, detail });
      if (s.stopping) return unhealthy('stopping');
      if (s.crashes.length >= restartLoopCrashes)
        return unhealthy(
          `restart loop: the consumer crashed ${s.crashes.length} times in ${Math.round(loopWindow / 1000)} s; last: ${s.lastCrash?.error ?? 'unknown'}`,
        );
      if (s.lastCrash && !(s.joined && t - s.joinedAt >= unhealthyAfterMs && s.joinedAt > s.lastCrash.at))
        return unhealthy(`consumer crashed: ${s.lastCrash.error}`);
      if (!s.joined) return unhealthy('not a member of the consumer group');
      if (s.retryingSince !== null && t - s.retryingSince > unhealthyAfterMs)
        return unhealthy(
          `retrying one batch for ${Math.round((t - s.retryingSince) / 1000)} s: ${s.retryError ?? ''}`,
        );
      return { ok: true, detail };
    },
  };
}

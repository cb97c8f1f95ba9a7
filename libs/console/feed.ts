/**
 * The console's live feed. One sampler per console process reads the pipeline once per tick (Kafka
 * group offsets in one admin session, the stats counts of libs/stats, the ledger batches landed since
 * the last tick, the DLQ of the last ten minutes) and hands the same frame to every open browser, so
 * the browsers never poll: they hold one Server-Sent Events stream each. Between ticks it looks for
 * new ledger batches only (one indexed query), and sends a frame with the events that just landed
 * as soon as there are some: an event reaches the screen without waiting for the next tick.
 */
import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import type { SeenSet } from '../seenset';
import { consumerGroups, groupOffsets, pipelineStats } from '../stats';
import { dlqCounts } from '../dlq';
import { db } from '../store';
import { recallSummaries, type RecallSummary } from './recalls';
import { riskIndicators } from './risks';
import { deviceSignals } from './devices';
import type { Frame, LandedEvent, Sample } from './wire';

export type { Frame, LandedEvent, Sample } from './wire';

export interface Feed {
  /** The newest frame (null before the first tick) and the history of samples, oldest first. */
  current(): { frame: Frame | null; history: Sample[] };
  subscribe(listener: (frame: Frame) => void): () => void;
  /** Reads now, out of turn (after an action, so the page shows its effect at once). */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

const quantile = (sorted: number[], q: number): number | null =>
  sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export function createFeed({
  pool,
  kafka,
  seen,
  groups = consumerGroups,
  tickMs = 1000,
  landedEveryMs = 200,
  historySeconds = 300,
  recallEveryMs = 5000,
  latencyWindowMs = 30_000,
  onError = () => {},
}: {
  pool: pg.Pool;
  kafka: Kafka;
  seen: Pick<SeenSet, 'stats'>;
  /** Consumer group → the topics it reads (services/stages.ts `stageGroups`). */
  groups?: Record<string, string[]>;
  tickMs?: number;
  /** How often to look for newly landed events between ticks (0: only at ticks). */
  landedEveryMs?: number;
  historySeconds?: number;
  /** Recall summaries run the affected-units report: not every tick. */
  recallEveryMs?: number;
  latencyWindowMs?: number;
  onError?: (err: unknown) => void;
}): Feed {
  const listeners = new Set<(f: Frame) => void>();
  const history: Sample[] = [];
  const latencies: { t: number; ms: number }[] = [];
  const recent: LandedEvent[] = [];
  const seenBatches = new Set<number>();
  let frame: Frame | null = null;
  let prev: { t: number; positions: Record<string, number>; dlq: number; duplicates: number } | null = null;
  let lastBatch: number | null = null;
  /** Events landed since the last sample (the light looks count them too). */
  let landedUncounted = 0;
  let tickedAt = 0;
  let recalls: RecallSummary[] = [];
  let recallsAt = 0;
  let admin: Admin | null = null;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  /**
   * Bumped by refresh(): a read that began before an action may have read the state before it (a
   * recall still active after its close), so it publishes nothing; the refresh's own tick follows.
   */
  let generation = 0;

  async function landedSince(): Promise<LandedEvent[]> {
    // Batch ids come from a sequence; concurrent sinks can commit them out of order, so look back
    // a little and skip the batches already taken.
    const floor = lastBatch === null ? null : lastBatch - 50;
    const batches = await db('console batches', () =>
      pool.query<{ batch_id: string }>(
        floor === null
          ? 'SELECT batch_id FROM ut.ledger_batches ORDER BY batch_id DESC LIMIT 5'
          : 'SELECT batch_id FROM ut.ledger_batches WHERE batch_id > $1 ORDER BY batch_id',
        floor === null ? [] : [floor],
      ),
    );
    const fresh = batches.rows.map((b) => Number(b.batch_id)).filter((b) => !seenBatches.has(b));
    for (const b of fresh) seenBatches.add(b);
    if (fresh.length === 0) return [];
    lastBatch = Math.max(lastBatch ?? 0, ...fresh);
    for (const b of seenBatches) if (b < lastBatch - 200) seenBatches.delete(b);
    const rows = await db('console landed', () =>
      pool.query<{
        event_id: string;
        event_time: Date;
        event_type: string;
        biz_step: string | null;
        source_system: string;
        machine_id: string | null;
        recall_id: string | null;
        epc: string | null;
        inserted_at: Date;
        latency_ms: number | null;
      }>(
        `SELECT event_id, event_time, event_type, biz_step, source_system, machine_id, recall_id,
                COALESCE(record->'epcList'->0->>'uri', record->'parentId'->>'uri',
                         record->'childEpcs'->0->>'uri', record->'outputEpcList'->0->>'uri') AS epc,
                inserted_at,
                (extract(epoch FROM inserted_at - origin_ts) * 1000)::float8 AS latency_ms
           FROM ut.events WHERE batch_id = ANY($1::bigint[]) ORDER BY inserted_at, event_id`,
        [fresh],
      ),
    );
    return rows.rows.map((r) => ({
      eventId: r.event_id,
      eventTime: r.event_time.toISOString(),
      eventType: r.event_type,
      bizStep: r.biz_step,
      sourceSystem: r.source_system,
      machineId: r.machine_id,
      recallId: r.recall_id,
      epc: r.epc,
      landedAt: r.inserted_at.toISOString(),
      latencyMs: r.latency_ms === null ? null : Math.round(r.latency_ms),
    }));
  }

  function take(landed: LandedEvent[], now: number, { count }: { count: boolean }): void {
    if (count) {
      landedUncounted += landed.length;
      for (const e of landed) if (e.latencyMs !== null) latencies.push({ t: now, ms: e.latencyMs });
    }
    recent.unshift(...landed.slice(-20).reverse());
    recent.length = Math.min(recent.length, 20);
  }

  function publish(next: Frame, readIn: number): void {
    if (readIn !== generation) return;
    frame = next;
    for (const l of listeners) l(next);
  }

  /** Between ticks: only the events that just landed, on the last frame's numbers. */
  async function glance(): Promise<void> {
    // Nobody watching: the next tick reads the same events, so the 200 ms query can wait for it.
    if (!frame || listeners.size === 0) return;
    const readIn = generation;
    const landed = await landedSince();
    if (landed.length === 0) return;
    take(landed, Date.now(), { count: true });
    publish({ ...frame, at: Date.now(), recent: [...recent] }, readIn);
  }

  async function tick(): Promise<void> {
    const now = Date.now();
    const readIn = generation;
    admin ??= kafka.admin();
    let offsets;
    try {
      await admin.connect();
      offsets = await groupOffsets(admin, groups);
    } catch (err) {
      await admin.disconnect().catch(() => {});
      admin = null;
      throw err;
    }
    const stats = await pipelineStats({ pool, kafka, seen, offsets, groups });
    const first = lastBatch === null;
    const landed = await landedSince();
    // The first look finds the last few batches of before the console started: shown, not counted.
    take(landed, now, { count: !first });
    const landedCount = landedUncounted;
    landedUncounted = 0;
    while (latencies.length > 0 && latencies[0]!.t < now - latencyWindowMs) latencies.shift();
    const positions = Object.fromEntries(Object.entries(offsets).map(([g, o]) => [g, o.position]));
    const seconds = prev ? Math.max(0.001, (now - prev.t) / 1000) : 1;
    const rate = (a: number, b: number | undefined) =>
      prev && b !== undefined ? Math.max(0, (a - b) / seconds) : 0;
    const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
    const sample: Sample = {
      t: now,
      rates: Object.fromEntries(Object.entries(positions).map(([g, p]) => [g, rate(p, prev?.positions[g])])),
      lag: stats.lag,
      landedPerSec: prev ? landedCount / seconds : 0,
      dlqPerSec: rate(stats.dlq, prev?.dlq),
      duplicatesPerSec: rate(stats.duplicates, prev?.duplicates),
      latencyP50Ms: quantile(sorted, 0.5),
      latencyP99Ms: quantile(sorted, 0.99),
    };
    prev = { t: now, positions, dlq: stats.dlq, duplicates: stats.duplicates };
    history.push(sample);
    while (history.length > 0 && history[0]!.t < now - historySeconds * 1000) history.shift();
    if (now - recallsAt >= recallEveryMs) {
      recalls = await recallSummaries(pool, { offsets });
      recallsAt = now;
    }
    const dlqRecent = await dlqCounts(pool, { since: new Date(now - 10 * 60_000) });
    const devices = await deviceSignals(pool);
    publish(
      {
        at: now,
        stats,
        sample,
        dlqRecent,
        recent: [...recent],
        recalls,
        risks: riskIndicators({ recalls, dlqRecent, lag: stats.lag, history, devices }),
        devices,
      },
      readIn,
    );
  }

  /** One read at a time: a tick, or a glance when the next tick is not due yet. */
  const runOnce = (read: () => Promise<void> = tick): Promise<void> =>
    (running ??= read()
      .catch(onError)
      .finally(() => {
        running = null;
      }));

  const loop = async () => {
    if (stopped) return;
    const due = Date.now() - tickedAt >= tickMs;
    if (due) tickedAt = Date.now();
    await runOnce(due ? tick : glance);
    const step = landedEveryMs > 0 ? Math.min(landedEveryMs, tickMs) : tickMs;
    if (!stopped)
      timer = setTimeout(() => void loop(), Math.max(0, Math.min(step, tickedAt + tickMs - Date.now())));
  };
  void loop();

  return {
    current: () => ({ frame, history: [...history] }),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async refresh() {
      // A read under way may not see what the action changed: it publishes nothing (generation),
      // and a whole tick follows it.
      generation += 1;
      while (running) await running;
      recallsAt = 0;
      await runOnce(tick);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await admin?.disconnect().catch(() => {});
      listeners.clear();
    },
  };
}

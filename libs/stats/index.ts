/**
 * The pipeline's numbers, one source of truth for `unitrail stats` and the console's Now view:
 * events in the ledger, units, containers, DLQ records, duplicates dropped, and each consumer
 * group's lag (end offset − committed offset, summed over its partitions) and position (committed
 * offsets summed: its difference over time is the group's rate).
 */
import type { Admin, Kafka } from 'kafkajs';
import type pg from 'pg';
import { withAdmin } from '../kafka';
import type { SeenSet } from '../seenset';
import { db } from '../store';
import { topics } from '../topics';
import type { PipelineStats } from './types';

/** Each stage's consumer group and the topics it reads. */
export const consumerGroups: Record<string, string[]> = {
  'ut.validator': [topics.rawMes.name, topics.rawWms.name, topics.rawTms.name, topics.rawEpcis.name],
  'ut.deduplicator': [topics.validated.name],
  'ut.enricher': [topics.unique.name],
  'ut.router': [topics.enriched.name],
  'ut.journey-sink': [topics.journey.name],
  'ut.journey-sink-surge': [topics.journeySurge.name],
  'ut.dlq-sink': [topics.dlq.name],
};

export interface GroupOffsets {
  /** Records not yet committed by the group. */
  lag: number;
  /** Committed offsets summed (a partition never committed counts from its low watermark). */
  position: number;
}

export type { PipelineStats } from './types';

/** The counts for people, one a line, then each group's lag (`unitrail stats`). */
export function formatStats(report: PipelineStats): string {
  return [
    `events in the ledger  ${report.events}`,
    `units                 ${report.units} (containers ${report.containers})`,
    `DLQ records           ${report.dlq}`,
    `duplicates dropped    ${report.duplicates}`,
    ...Object.entries(report.lag).map(([g, l]) => `lag ${g.padEnd(22)} ${l}`),
  ].join('\n');
}

/** Lag and position of every group, in one admin session (the same sum as libs/kafka groupLag). */
export async function groupOffsets(
  admin: Admin,
  groups: Record<string, string[]> = consumerGroups,
): Promise<Record<string, GroupOffsets>> {
  const ends = new Map<string, { partition: number; high: string; low: string }[]>();
  const endsOf = async (topic: string) => {
    if (!ends.has(topic)) ends.set(topic, await admin.fetchTopicOffsets(topic));
    return ends.get(topic)!;
  };
  const out: Record<string, GroupOffsets> = {};
  for (const [groupId, topicNames] of Object.entries(groups)) {
    let lag = 0;
    let position = 0;
    for (const t of await admin.fetchOffsets({ groupId, topics: topicNames })) {
      const topicEnds = await endsOf(t.topic);
      for (const p of t.partitions) {
        const e = topicEnds.find((x) => x.partition === p.partition);
        const end = Number(e?.high ?? 0);
        const at = Number(p.offset) < 0 ? Number(e?.low ?? 0) : Number(p.offset);
        lag += Math.max(0, end - at);
        position += at;
      }
    }
    out[groupId] = { lag, position };
  }
  return out;
}

/** The counts of `unitrail stats`; pass `offsets` when they were just read (the console's tick). */
export async function pipelineStats({
  pool,
  kafka,
  seen,
  offsets,
  groups = consumerGroups,
}: {
  pool: pg.Pool;
  kafka: Kafka;
  seen: Pick<SeenSet, 'stats'>;
  offsets?: Record<string, GroupOffsets>;
  /** Consumer group → the topics it reads (services/stages.ts `stageGroups`, from the declarations). */
  groups?: Record<string, string[]>;
}): Promise<PipelineStats> {
  const byGroup = offsets ?? (await withAdmin(kafka, (admin) => groupOffsets(admin, groups)));
  const counts = await db('pipeline stats', () =>
    pool.query<{ events: string; units: string; containers: string; dlq: string }>(
      `SELECT (SELECT count(*) FROM ut.events) AS events,
              (SELECT count(*) FROM ut.unit_state WHERE scheme = 'sgtin') AS units,
              (SELECT count(*) FROM ut.unit_state WHERE scheme = 'sscc') AS containers,
              (SELECT count(*) FROM ut.dlq) AS dlq`,
    ),
  );
  const row = counts.rows[0]!;
  return {
    events: Number(row.events),
    units: Number(row.units),
    containers: Number(row.containers),
    dlq: Number(row.dlq),
    duplicates: (await seen.stats()).duplicates,
    lag: Object.fromEntries(Object.entries(byGroup).map(([g, o]) => [g, o.lag])),
  };
}

/**
 * Waits until every group has no lag (each stage has caught up with what is in its topics), or
 * until nothing moved for `stallMs`; returns the last lags.
 */
export async function waitForGroups(
  kafka: Kafka,
  groups: Record<string, string[]>,
  { stallMs = 120_000, everyMs = 1000, say = (_: string) => {} } = {},
): Promise<{ caughtUp: boolean; lag: Record<string, number> }> {
  let last = -1;
  let changed = Date.now();
  for (;;) {
    const offsets = await withAdmin(kafka, (admin) => groupOffsets(admin, groups));
    const lag = Object.fromEntries(Object.entries(offsets).map(([g, o]) => [g, o.lag]));
    const total = Object.values(lag).reduce((a, b) => a + b, 0);
    if (total === 0) return { caughtUp: true, lag };
    say(
      `waiting for the stages to catch up: ${Object.entries(lag)
        .filter(([, l]) => l > 0)
        .map(([g, l]) => `${g} ${l}`)
        .join(', ')}`,
    );
    if (total !== last) {
      last = total;
      changed = Date.now();
    } else if (Date.now() - changed > stallMs) return { caughtUp: false, lag };
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

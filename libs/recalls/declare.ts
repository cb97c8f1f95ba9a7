/**
 * Declaring and closing a recall: PostgreSQL first, then the compacted ut.recalls.v1 (key = recall
 * id, acks=all), which the router follows. A crash between the two is healed by running the same
 * command again: both writes are idempotent for one recall id.
 */
import crypto from 'node:crypto';
import { CompressionTypes, type Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Codec } from '../avro';
import { UsageError } from '../errors';
import { hasValidCheckDigit } from '../gs1';
import { topics } from '../topics';
import { withDefaults, type Recall } from './recall';
import { containersHolding, requireRecall, saveRecall, unitsInScope } from './store';

export interface RecallScopeInput {
  gtin: string;
  lots?: string[];
  serials?: string[];
  fromTime?: number | null;
  toTime?: number | null;
  deviceId?: string | null;
  reason: string;
}

export interface RecallDeps {
  pool: pg.Pool;
  kafka: Kafka;
  codec: Codec;
}

/** Units listed in a recall record at most: beyond it the record grows past what Kafka takes comfortably. */
export const MAX_LISTED_UNITS = 50_000;

/** Checks a scope a person typed; throws a UsageError that says what to fix. */
export function checkScope(input: RecallScopeInput): void {
  if (!/^\d{14}$/.test(input.gtin) || !hasValidCheckDigit(input.gtin)) {
    throw new UsageError(
      `--gtin ${input.gtin} is not a GTIN (14 digits, or 8, 12, 13 padded, with its check digit)`,
    );
  }
  if (!input.reason.trim()) throw new UsageError('--reason is required: say why the goods are recalled');
  const { fromTime = null, toTime = null } = input;
  for (const [name, t] of [
    ['from', fromTime],
    ['to', toTime],
  ] as const) {
    if (t !== null && !Number.isFinite(t))
      throw new UsageError(`--${name} is not a time (ISO 8601 expected)`);
  }
  if (fromTime !== null && toTime !== null && fromTime > toTime) {
    throw new UsageError('--from is after --to');
  }
}

export const newRecallId = (now = new Date()) =>
  `R-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${crypto.randomBytes(3).toString('hex').toUpperCase()}`;

async function publish(kafka: Kafka, codec: Codec, recall: Recall): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic: topics.recalls.name,
      acks: -1,
      // A recall lists its units; compressed, a 50,000-unit list stays well under a megabyte.
      compression: CompressionTypes.GZIP,
      messages: [{ key: recall.recallId, value: await codec.encode(topics.recalls.name, recall) }],
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Declares a recall: resolves the units the scope covers now and the containers holding them, then
 * writes the record to the database and the topic. Returns the recall and how many units it covers.
 */
export async function declareRecall(
  { pool, kafka, codec }: RecallDeps,
  input: RecallScopeInput,
  {
    declaredBy = null,
    recallId = newRecallId(),
    now = Date.now(),
  }: { declaredBy?: string | null; recallId?: string; now?: number } = {},
): Promise<{ recall: Recall; units: number }> {
  checkScope(input);
  const draft = withDefaults({
    recallId,
    status: 'active',
    reason: input.reason.trim(),
    gtin: input.gtin,
    lots: input.lots ?? [],
    serials: input.serials ?? [],
    fromTime: input.fromTime ?? null,
    toTime: input.toTime ?? null,
    deviceId: input.deviceId ?? null,
    declaredAt: now,
    declaredBy,
  });
  const units = await unitsInScope(pool, draft);
  const recall: Recall = {
    ...draft,
    containers: await containersHolding(pool, units),
    // Listed so that any later event naming a unit is in scope: a partner's event names the unit
    // without its lot, and a device or window scope covers only that device's or window's events.
    // Units made after the declaration are learned by the router from the events of the scope.
    units: units.length <= MAX_LISTED_UNITS ? units : [],
  };
  await saveRecall(pool, recall);
  await publish(kafka, codec, recall);
  return { recall, units: units.length };
}

/** Closes a recall: its scope returns to the normal flow. Closing a closed recall changes nothing. */
export async function closeRecall(
  { pool, kafka, codec }: RecallDeps,
  recallId: string,
  { closedBy = null, now = Date.now() }: { closedBy?: string | null; now?: number } = {},
): Promise<Recall> {
  const current = await requireRecall(pool, recallId);
  const closed: Recall =
    current.status === 'closed' ? current : { ...current, status: 'closed', closedAt: now };
  await saveRecall(pool, closed, { closedBy: closedBy ?? undefined });
  await publish(kafka, codec, closed);
  return closed;
}

/** Records a quarantine on the recall (time and sites), so every router instance can tell a breach. */
export async function markQuarantined(
  { pool, kafka, codec }: RecallDeps,
  recallId: string,
  { at, sites }: { at: number; sites: string[] },
): Promise<Recall> {
  const current = await requireRecall(pool, recallId);
  // A quarantine of every site covers any earlier site-by-site one; sites add up otherwise.
  const everywhere =
    sites.length === 0 || (current.quarantinedAt !== null && current.quarantineSites.length === 0);
  const updated: Recall = {
    ...current,
    quarantinedAt: current.quarantinedAt === null ? at : Math.min(current.quarantinedAt, at),
    quarantineSites: everywhere ? [] : [...new Set([...current.quarantineSites, ...sites])].sort(),
  };
  await saveRecall(pool, updated);
  await publish(kafka, codec, updated);
  return updated;
}

/**
 * The batch processor: one partition's chunk of records in, outputs sent and `write` done out. It
 * knows nothing of Kafka: it is handed the stage, a codec and a `send` for outputs, and reports
 * through instrumentation events. The Kafka loop (loop.ts) consumes, retries and commits around it.
 *
 *   decode → prepare → handle → encode → send → write
 *
 * A failure that is not a dependency outage (not retriable, see libs/retry) never stalls the
 * partition: the records that cause it are isolated by splitting the batch in halves and running
 * each half again, and each offending record goes to the DLQ with a reason code for the step
 * (PREPARE_FAILED, HANDLER_ERROR, ENCODE_FAILED, SEND_FAILED, WRITE_FAILED), the error, its original
 * bytes and coordinates; the rest of the batch goes on. A retriable failure is thrown, untouched,
 * for the loop to retry the whole batch (every effect is idempotent, so a retry repeats none).
 */
import { oneLine, UnitrailError, type Reason } from '../errors';
import { errorCode, isRetriable } from '../retry';
import { topics } from '../topics';
import type { Emit, Step } from './events';
import {
  ORIGIN_TS_HEADER,
  stageOfError,
  type InputRecord,
  type Output,
  type RecordLabels,
  type Stage,
} from './stage';

/** Header values as a Kafka client delivers them. */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** A consumed record, as the transport hands it over. */
export interface ConsumedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Broker timestamp (ms, as text): becomes the origin timestamp header of raw records. */
  timestamp: string;
  headers?: MessageHeaders;
}

export interface OutgoingMessage {
  key: string | Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** Sends records and resolves once every one is acknowledged (acks=all), or throws. */
export type Send = (batch: TopicMessages[]) => Promise<void>;

export interface RecordCodec {
  encode(topic: string, value: unknown): Promise<Buffer>;
  /** The schema id `encode` writes for a topic: a value forwarded unchanged keeps its bytes when it is the input's. */
  schemaIdFor?(topic: string): Promise<number>;
  decode<T = unknown>(buf: Buffer | null): Promise<{ value: T; schemaId: number }>;
}

export type FaultPoint = 'after-prepare' | 'after-produce';

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export interface BatchResult {
  records: number;
  produced: number;
  dlq: number;
  dropped: number;
  /** Records set apart because they failed for good in prepare, encode, send or write. */
  isolated: number;
}

export interface BatchProcessor {
  /**
   * Processes one chunk of one partition. Resolves when every output is acknowledged and `write`
   * has returned: the caller may then commit past the last message. Throws a retriable error when a
   * dependency is down (retry the same chunk), anything else only on a bug.
   */
  process(batch: Batch, opts?: { beat?: () => Promise<void> }): Promise<BatchResult>;
}

interface Coords {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  raw: Buffer | null;
  headers: Record<string, string>;
}

interface Item<In> {
  coords: Coords;
  schemaId: number | null;
  record?: InputRecord<In>;
  outputs: Output[];
  encoded: { topic: string; message: OutgoingMessage }[];
  /** The step in which it failed for good, when it was set apart. */
  setApart?: Step;
}

/** Kafka refuses these for the record itself (too large, malformed): the same record fails again. */
const RECORD_LEVEL_KAFKA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
]);
const isRecordLevelSendError = (err: unknown) =>
  RECORD_LEVEL_KAFKA_ERRORS.has(String((err as { type?: unknown } | null)?.type ?? ''));

const stepCode: Record<Step, string> = {
  decode: 'DECODE_FAILED',
  prepare: 'PREPARE_FAILED',
  handle: 'HANDLER_ERROR',
  encode: 'ENCODE_FAILED',
  send: 'SEND_FAILED',
  write: 'WRITE_FAILED',
};

const noBeat = async () => {};

export function createBatchProcessor<In, Ctx>({
  stage,
  codec,
  send,
  emit = () => {},
  fault = () => {},
  dlqTopic = topics.dlq.name,
  now = () => performance.now(),
}: {
  stage: Stage<In, Ctx>;
  codec: RecordCodec;
  send: Send;
  emit?: Emit;
  /** Crash-test hook called at the named points (see faultInjector in loop.ts). */
  fault?: (point: FaultPoint) => void;
  dlqTopic?: string;
  now?: () => number;
}): BatchProcessor {
  const labelsOf = (topic: string): RecordLabels => ({ source: stage.sourceOf?.(topic) ?? null });
  /**
   * A DLQ record this stage itself made from a DLQ record (its key is the dlqId) is not sent to the
   * DLQ a second time, or a record that always fails would circle for ever; it stays on the DLQ
   * topic and the 'isolated' event (logged as an error) names it.
   */
  const wouldLoop = (c: Coords) =>
    c.topic === dlqTopic && (c.key?.toString('utf8') ?? '').startsWith(`${stage.name}/${dlqTopic}/`);

  /** Sets a record apart: its outputs become one DLQ record with the step's reason code. */
  const setApart = (item: Item<In>, step: Step, err: unknown) => {
    const code = errorCode(err);
    const reasons: Reason[] = [
      { code: stepCode[step], message: `${step}: ${code ? `[${code}] ` : ''}${oneLine(err)}` },
      ...reasonsCarried(err),
    ];
    const inner = stageOfError(err);
    item.outputs = [
      { kind: 'dlq', reasons, ...(inner ? { stage: inner } : {}), ...labelsOf(item.coords.topic) },
    ];
    item.encoded = [];
    item.setApart = step;
    emit({
      type: 'isolated',
      stage: stage.name,
      step,
      topic: item.coords.topic,
      partition: item.coords.partition,
      offset: item.coords.offset,
      code: stepCode[step],
      error: oneLine(err),
      toDlq: !wouldLoop(item.coords),
    });
  };

  /**
   * The consumed bytes of a record whose handler forwards its decoded value itself (the
   * deduplicator, the router) to a topic written with the schema the record was written with: the
   * encoding would give these bytes again (same schema id, same value), so they go out as they came.
   */
  const forwardedBytes = async (item: Item<In>, out: { topic: string; value: unknown }) => {
    const { record } = item;
    if (!record || out.value !== record.value || !record.raw || !codec.schemaIdFor) return null;
    return (await codec.schemaIdFor(out.topic)) === record.schemaId ? record.raw : null;
  };

  /** Encodes an item's outputs. */
  const encode = async (item: Item<In>) => {
    const encoded: Item<In>['encoded'] = [];
    const origin = item.coords.headers[ORIGIN_TS_HEADER];
    for (const out of item.outputs) {
      if (out.kind === 'produce') {
        encoded.push({
          topic: out.topic,
          message: {
            key: out.key,
            value: (await forwardedBytes(item, out)) ?? (await codec.encode(out.topic, out.value)),
            headers: origin ? { [ORIGIN_TS_HEADER]: origin, ...out.headers } : out.headers,
          },
        });
      } else if (out.kind === 'dlq' && !wouldLoop(item.coords)) {
        const dlq = dlqRecord(out.stage ?? stage.name, item.coords, item.schemaId, out);
        encoded.push({
          topic: dlqTopic,
          message: { key: dlq.dlqId, value: await codec.encode(dlqTopic, dlq) },
        });
      }
    }
    item.encoded = encoded;
  };

  const sendItems = async (items: Item<In>[]) => {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { encoded } of items) {
      for (const { topic, message } of encoded) {
        const list = byTopic.get(topic) ?? [];
        list.push(message);
        byTopic.set(topic, list);
      }
    }
    if (byTopic.size > 0) await send([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  };

  return {
    async process({ topic, partition, messages }, { beat = noBeat } = {}) {
      const started = now();
      emit({ type: 'batch-start', stage: stage.name, topic, partition, size: messages.length });
      const items: Item<In>[] = [];
      for (const message of messages) {
        const coords = coordsOf(topic, partition, message);
        try {
          const { value, schemaId } = await codec.decode<In>(message.value);
          const record: InputRecord<In> = { ...coords, value, schemaId };
          items.push({ coords, schemaId, record, outputs: [], encoded: [] });
        } catch (err) {
          if (isRetriable(err)) throw err;
          const outputs: Output[] = [
            {
              kind: 'dlq',
              reasons: reasonsOf(err),
              ...(stage.decodedBy ? { stage: stage.decodedBy } : {}),
              ...labelsOf(topic),
            },
          ];
          items.push({ coords, schemaId: null, outputs, encoded: [] });
        }
      }
      await beat();

      const decoded = items.filter((i) => i.record);
      const prepared = stage.prepare
        ? await isolate(
            decoded,
            async (subset) => {
              await beat();
              return stage.prepare!(subset.map((i) => i.record!));
            },
            (item, err) => setApart(item, 'prepare', err),
          )
        : [{ items: decoded, result: undefined as Ctx }];
      await beat();
      fault('after-prepare');

      for (const { items: group, result: ctx } of prepared) {
        for (const item of group) {
          try {
            item.outputs = stage.handle(item.record!, ctx);
          } catch (err) {
            if (isRetriable(err)) throw err;
            item.outputs = [{ kind: 'dlq', reasons: reasonsOf(err), ...labelsOf(topic) }];
          }
        }
      }

      for (const item of items) {
        try {
          await encode(item);
        } catch (err) {
          if (isRetriable(err)) throw err;
          setApart(item, 'encode', err);
          await encode(item);
        }
      }

      // Records set apart at send or write: their DLQ records go out after the rest.
      const late: Item<In>[] = [];
      await isolate(
        items.filter((i) => i.encoded.length > 0),
        async (subset) => {
          await beat();
          await sendItems(subset);
        },
        (item, err) => {
          setApart(item, 'send', err);
          late.push(item);
        },
        isRecordLevelSendError,
      );
      await beat();

      if (stage.write) {
        const writable = items.filter((i) => i.record && !i.outputs.some((o) => o.kind === 'dlq'));
        await isolate(
          writable,
          async (subset) => {
            await beat();
            await stage.write!(subset.map((i) => ({ record: i.record!, outputs: i.outputs })));
          },
          (item, err) => {
            setApart(item, 'write', err);
            late.push(item);
          },
        );
      }
      if (late.length > 0) {
        for (const item of late) await encode(item);
        await sendItems(late);
      }
      fault('after-produce');

      const result: BatchResult = {
        records: messages.length,
        produced: 0,
        dlq: 0,
        dropped: 0,
        isolated: 0,
      };
      const producedByTopic = new Map<string, number>();
      for (const item of items) {
        for (const out of item.outputs) {
          if (out.kind === 'produce') {
            producedByTopic.set(out.topic, (producedByTopic.get(out.topic) ?? 0) + 1);
            result.produced++;
          } else if (out.kind === 'dlq') {
            result.dlq++;
            for (const r of out.reasons)
              emit({ type: 'dlq', stage: stage.name, reason: r.code, source: out.source ?? 'unknown' });
          } else if (out.kind === 'drop') {
            result.dropped++;
            emit({
              type: 'dropped',
              stage: stage.name,
              reason: out.reason,
              source: out.source ?? 'unknown',
              device: out.device ?? 'unknown',
            });
          }
        }
      }
      result.isolated = items.filter((i) => i.setApart).length;
      for (const [t, count] of producedByTopic)
        emit({ type: 'produced', stage: stage.name, topic: t, count });
      emit({
        type: 'batch-end',
        stage: stage.name,
        topic,
        partition,
        size: messages.length,
        seconds: (now() - started) / 1000,
      });
      return result;
    },
  };
}

/**
 * Runs `run` on all items; when it fails for good (`isPoison`), splits the items in halves and runs
 * each again, down to single items, which `onPoison` sets apart. Any other failure is thrown.
 * Returns the groups that succeeded with their results. A batch with one bad record costs about
 * 2·log2(n) extra runs.
 */
export async function isolate<T, R>(
  items: T[],
  run: (subset: T[]) => Promise<R>,
  onPoison: (item: T, err: unknown) => void,
  isPoison: (err: unknown) => boolean = (err) => !isRetriable(err),
): Promise<{ items: T[]; result: R }[]> {
  if (items.length === 0) return [];
  try {
    return [{ items, result: await run(items) }];
  } catch (err) {
    if (!isPoison(err)) throw err;
    if (items.length === 1) {
      onPoison(items[0]!, err);
      return [];
    }
    const mid = Math.ceil(items.length / 2);
    return [
      ...(await isolate(items.slice(0, mid), run, onPoison, isPoison)),
      ...(await isolate(items.slice(mid), run, onPoison, isPoison)),
    ];
  }
}

export function headersToStrings(headers: MessageHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

function coordsOf(topic: string, partition: number, m: ConsumedMessage): Coords {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ?? null,
    raw: m.value,
    headers: { [ORIGIN_TS_HEADER]: m.timestamp, ...headersToStrings(m.headers) },
  };
}

/** Reasons an error carries itself (InvalidInputError's validation reasons). */
function reasonsCarried(err: unknown): Reason[] {
  const reasons = (err as { reasons?: Reason[] } | null)?.reasons;
  return Array.isArray(reasons) ? reasons : [];
}

/** The DLQ reasons of a record its decoder or handler refused. */
function reasonsOf(err: unknown): Reason[] {
  const carried = reasonsCarried(err);
  if (carried.length > 0) return carried;
  const code = err instanceof UnitrailError ? err.code : 'HANDLER_ERROR';
  return [{ code, message: oneLine(err) }];
}

/** The DLQ record: deterministic id, so a replayed failure is the same DLQ entry. */
export function dlqRecord(
  stage: string,
  c: Coords,
  schemaId: number | null,
  out: { reasons: Reason[] } & RecordLabels,
) {
  return {
    dlqId: `${stage}/${c.topic}/${c.partition}/${c.offset}`,
    stage,
    reasons: out.reasons,
    sourceTopic: c.topic,
    sourcePartition: c.partition,
    sourceOffset: Number(c.offset),
    schemaId,
    originalKey: c.key,
    originalValue: c.raw,
    originalHeaders: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, Buffer.from(v)])),
    sourceSystem: out.source ?? null,
    deviceId: out.device ?? null,
    eventId: out.eventId ?? null,
    failedAt: Date.now(),
    replayOf: c.headers['ut-replay-of'] ?? null,
  };
}

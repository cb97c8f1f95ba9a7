/**
 * The fused deployment: several declared stages run as one stage in one process, records passing
 * between their handlers in memory instead of through topics. The fused stage consumes the first
 * stage's inputs; a record produced to a topic that a later fused stage consumes is handed to that
 * stage at once; every other output (the DLQ, alerts, the surge topic...) still goes to Kafka; the
 * sinks' `write` runs in the fused stage's `write`, so the runtime commits the raw offsets only after
 * the sink's COMMIT. Poison isolation, retries and health are the runtime's, unchanged.
 *
 * A consumer outside the process that reads a topic passed in memory gets, through a `FusedTap`,
 * what it needs of that topic's records in a form of its own (device-health: the validated events'
 * clocks, in bulk; docs/devices.md).
 *
 * What a handler receives is exactly what it would get from Kafka: each value handed on in memory
 * goes through the topic's Avro type (the same avsc options as the registry codec), so defaults,
 * nulls and number types are those of the round trip.
 */
import avro from 'avsc';
import { avroType, roundTripOf } from '../avro';
import type { Config } from '../config';
import { isRetriable } from '../retry';
import { oneLine, UnitrailError, type Reason } from '../errors';
import { topicByName } from '../topics';
import { openStage, type StageDefinition } from './stage-definition';
import { failedIn, ORIGIN_TS_HEADER, type Handled, type InputRecord, type Output, type Stage } from './stage';

/**
 * A value as the consumer of `topic` would decode it: through the topic's Avro type.
 *
 * `decodedFrom`, when given, is a value this process decoded through that same type (the input
 * of the handler that made `value`, on a topic of the same schema). A record's encoding is its
 * fields' encodings one after the other, so its round trip is each field's round trip; a field
 * `value` shares with `decodedFrom` is what a decoder gave already and comes back unchanged. Only
 * the fields the handler changed go through Avro (the enricher changes one field of the event).
 */
export function avroRoundTrip(topic: string, value: unknown, decodedFrom?: unknown): unknown {
  const spec = topicByName(topic);
  if (!spec) throw new UnitrailError('UNKNOWN_TOPIC', `no topic ${topic} in libs/topics`);
  const type = avroType(spec.valueSchema);
  if (type instanceof avro.types.RecordType && isObject(value) && isObject(decodedFrom)) {
    return fieldwiseRoundTrip(type, value, decodedFrom);
  }
  return roundTripOf(type)(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function fieldwiseRoundTrip(
  type: InstanceType<typeof avro.types.RecordType>,
  value: Record<string, unknown>,
  decoded: Record<string, unknown>,
): unknown {
  const values: unknown[] = [];
  for (const field of type.fields) {
    let v = value[field.name];
    if (v !== undefined && v === decoded[field.name]) {
      values.push(v);
      continue;
    }
    // The record writer writes a missing field's default (and throws for one without).
    if (v === undefined) v = field.defaultValue() as unknown;
    values.push(roundTripOf(field.type)(v));
  }
  return new type.recordConstructor(...values) as unknown;
}

/**
 * A handler that forwards its input value itself (the deduplicator, the router) hands on what
 * already came through the Avro round trip of a topic of the same schema: a second round trip
 * would give the same value, so it is skipped (it was a tenth of the fused process's CPU).
 */
function passedOn(record: InputRecord<unknown>, out: { topic: string; value: unknown }): boolean {
  return out.value === record.value && sameSchema(record, out);
}

function sameSchema(record: InputRecord<unknown>, out: { topic: string }): boolean {
  const schema = topicByName(out.topic)?.valueSchema;
  return schema !== undefined && schema === topicByName(record.topic)?.valueSchema;
}

/**
 * For a consumer outside the fused process of a topic passed in memory: `publish` is handed the
 * batch's records on `topic` (what a consumer of the topic would decode, with their headers), in
 * order, and returns what to send to Kafka for them instead, each output with the raw record it
 * goes out with (sent with that record's outputs, before its offset is committed). Kept cheap:
 * it runs on every record of the hot path.
 */
export interface FusedTap {
  topic: string;
  publish(records: { origin: InputRecord<unknown>; record: InputRecord<unknown> }[]): {
    origin: InputRecord<unknown>;
    output: Output;
  }[];
}

interface Fused {
  /** What goes to Kafka (or is dropped) for the raw record. */
  outputs: Output[];
  /** What each sink of the chain writes for it, by stage index. */
  writes: Map<number, Handled<unknown>[]>;
}

function appendTo<T>(lists: Map<number, T[]>, key: number, item: T): void {
  const list = lists.get(key);
  if (list) list.push(item);
  else lists.set(key, [item]);
}

function reasonsOf(err: unknown): Reason[] {
  const carried = (err as { reasons?: Reason[] } | null)?.reasons;
  if (Array.isArray(carried) && carried.length > 0) return carried;
  return [{ code: err instanceof UnitrailError ? err.code : 'HANDLER_ERROR', message: oneLine(err) }];
}

/**
 * Opens `definitions` (in flow order) as one stage named `name`. Its inputs are the first stage's;
 * a stage later in the list receives in memory what an earlier one produces to its inputs.
 */
export function openFused(
  definitions: readonly StageDefinition[],
  config: Config,
  {
    name = 'pipeline',
    roundTrip = avroRoundTrip,
    taps = [],
  }: { name?: string; roundTrip?: typeof avroRoundTrip; taps?: readonly FusedTap[] } = {},
): Stage<unknown, Map<InputRecord<unknown>, Fused>> {
  const opened = definitions.map((d) => ({ definition: d, stage: openStage(d, config) }));
  // Per stage, which later stage reads each topic (the first one that does): what the stage
  // produces to a topic not in its map goes to Kafka. Known from the definitions, so built once.
  const consumers = opened.map((_, after) => {
    const readers = new Map<string, number>();
    for (let i = opened.length - 1; i > after; i--)
      for (const topic of opened[i]!.stage.topics) readers.set(topic, i);
    return readers;
  });
  const consumerOf = (topic: string, after: number) => consumers[after]!.get(topic) ?? -1;
  const fusedOf = new WeakMap<InputRecord<unknown>, Fused>();

  return {
    name,
    topics: opened[0]!.stage.topics,
    sourceOf: opened[0]!.stage.sourceOf,
    // A raw record that cannot be decoded is the first stage's refusal, as in the split deployment.
    decodedBy: opened[0]!.stage.name,
    start: async () => {
      for (const o of opened) await o.stage.start?.();
    },
    stop: async () => {
      for (const o of opened) await o.stage.stop?.();
    },
    health: () => Object.fromEntries(opened.map((o) => [o.definition.name, o.stage.health?.() ?? {}])),

    // The whole chain runs here, stage by stage over the batch (each stage's prepare is batch-wide);
    // a failure for good anywhere makes the runtime split the raw batch and run the halves again.
    async prepare(raw) {
      const result = new Map<InputRecord<unknown>, Fused>();
      let pending = new Map<number, { origin: InputRecord<unknown>; record: InputRecord<unknown> }[]>([
        [0, raw.map((r) => ({ origin: r, record: r }))],
      ]);
      for (const r of raw) {
        const fused: Fused = { outputs: [], writes: new Map() };
        result.set(r, fused);
        fusedOf.set(r, fused);
      }
      const tapped = new Map(taps.map((t) => [t.topic, [] as Parameters<FusedTap['publish']>[0]]));
      for (let i = 0; i < opened.length; i++) {
        const items = pending.get(i) ?? [];
        pending.delete(i);
        if (items.length === 0) continue;
        const { stage } = opened[i]!;
        const ctx = stage.prepare
          ? await stage.prepare(items.map((x) => x.record)).catch((err: unknown) => {
              // Failing for good, the record is set apart in this stage's name (the split's DLQ entry).
              throw isRetriable(err) ? err : failedIn(err, stage.name);
            })
          : undefined;
        const next = pending;
        for (const { origin, record } of items) {
          const fused = result.get(origin)!;
          let outputs: Output[];
          try {
            outputs = stage.handle(record, ctx);
          } catch (err) {
            if (isRetriable(err)) throw err;
            outputs = [{ kind: 'dlq', reasons: reasonsOf(err) }];
          }
          for (const out of outputs) {
            if (out.kind === 'produce') {
              const j = consumerOf(out.topic, i);
              if (j < 0) {
                fused.outputs.push(out);
                continue;
              }
              const inner: InputRecord<unknown> = {
                topic: out.topic,
                partition: origin.partition,
                offset: origin.offset,
                key: out.key === null ? null : Buffer.from(out.key),
                headers: { [ORIGIN_TS_HEADER]: origin.headers[ORIGIN_TS_HEADER]!, ...out.headers },
                // A raw record was decoded by the registry's codec (the writer's schema): only a
                // value handed on in this process is known to be decoded through the topic's type.
                value: passedOn(record, out)
                  ? out.value
                  : roundTrip(
                      out.topic,
                      out.value,
                      i > 0 && sameSchema(record, out) ? record.value : undefined,
                    ),
                schemaId: origin.schemaId,
                raw: origin.raw,
              };
              // Appended in place: a copy per record made each hop's batch quadratic in its size.
              appendTo(next, j, { origin, record: inner });
              tapped.get(out.topic)?.push({ origin, record: inner });
            } else if (out.kind === 'dlq') {
              // The DLQ record names the stage that refused it, with the raw record's bytes and coordinates.
              fused.outputs.push({ ...out, stage: out.stage ?? stage.name });
            } else if (out.kind === 'drop') {
              fused.outputs.push(out);
            }
          }
          if (stage.write && !outputs.some((o) => o.kind === 'dlq')) {
            appendTo(fused.writes, i, { record, outputs });
          }
        }
        pending = next;
      }
      for (const tap of taps) {
        for (const { origin, output } of tap.publish(tapped.get(tap.topic)!))
          result.get(origin)?.outputs.push(output);
      }
      return result;
    },

    handle(record, ctx) {
      const outputs = ctx.get(record)?.outputs ?? [];
      return outputs.length > 0 ? outputs : [{ kind: 'done' }];
    },

    // Sinks write in flow order; the runtime commits the raw offsets after this returns.
    async write(handled) {
      for (let i = 0; i < opened.length; i++) {
        const { stage } = opened[i]!;
        if (!stage.write) continue;
        const rows = handled.flatMap(({ record }) => fusedOf.get(record)?.writes.get(i) ?? []);
        if (rows.length > 0) {
          await stage.write(rows).catch((err: unknown) => {
            throw isRetriable(err) ? err : failedIn(err, stage.name);
          });
        }
      }
    },
  };
}

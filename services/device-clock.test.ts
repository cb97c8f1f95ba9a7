/**
 * Device health in the fused deployment: no topic carries the validated events there, so the fused
 * process publishes their clock samples on ut.devices.clock.v1 (services/stages.ts,
 * deviceClockTap). Read by the detectors, they must give what the validated events give in the
 * split deployment: the same observations in the same order per stream, so the same alerts.
 */
import crypto from 'node:crypto';
import { avroType } from '../libs/avro';
import { generateFloorDemo, parseFaults, type DemoRecord } from '../libs/demo';
import { observationsOf, observe, type DeviceAlert, type Fleet } from '../libs/devices';
import { loadConfig } from '../libs/config';
import {
  avroRoundTrip,
  createBatchProcessor,
  defineStage,
  openFused,
  type ConsumedMessage,
  type InputRecord,
  type RecordCodec,
  type TopicMessages,
} from '../libs/runtime';
import { normalize } from '../libs/sources';
import { rawTopics, topicByName, topics } from '../libs/topics';
import { deviceClockTap } from './stages';

const config = loadConfig({});

/** Raw records as JSON text; what goes out through the topic's Avro type (the registry's writer). */
const codec: RecordCodec = {
  encode: async (topic, value) => avroType(topicByName(topic)!.valueSchema).toBuffer(value),
  decode: async <T>(buf: Buffer | null) => ({
    value: JSON.parse(buf!.toString('utf8')) as T,
    schemaId: 1,
  }),
};

/** The validator's part that matters here: a valid record's canonical event, on the validated topic. */
const validate = defineStage({
  name: 'validate',
  summary: 'the canonical event of a valid demo record',
  inputs: rawTopics,
  outputs: [topics.validated.name],
  handler: (r: InputRecord<DemoRecord['value']>) => {
    const event = normalize(r.topic, r.value, {
      topic: r.topic,
      partition: r.partition,
      offset: Number(r.offset),
      schemaId: r.schemaId,
    });
    return [{ kind: 'produce', topic: topics.validated.name, key: event.eventId, value: event }];
  },
});
/** Stands for the deduplicator: the validated topic is passed in memory to it. */
const next = defineStage({
  name: 'next',
  summary: 'reads the validated events in memory',
  inputs: [topics.validated.name],
  outputs: [],
  handler: () => [{ kind: 'done' }],
});

/** The demo's valid records by raw partition (keyed as produceRecords keys them), in broker order. */
function rawPartitions(
  records: DemoRecord[],
): { topic: string; partition: number; messages: ConsumedMessage[] }[] {
  const streams = new Map<string, { topic: string; partition: number; messages: ConsumedMessage[] }>();
  for (const r of records) {
    if (r.kind !== 'valid' || Buffer.isBuffer(r.value)) continue;
    const partition = crypto.createHash('md5').update(r.key).digest()[0]! % 3;
    const at = `${r.topic}:${partition}`;
    const s = streams.get(at) ?? { topic: r.topic, partition, messages: [] };
    streams.set(at, s);
    s.messages.push({
      offset: String(s.messages.length),
      key: Buffer.from(r.key),
      value: Buffer.from(JSON.stringify(r.value)),
      timestamp: String(r.receivedAt),
    });
  }
  return [...streams.values()];
}

/** The raw partitions' batches of `size`, one partition after another in turn (as a stage reads them). */
function batches(records: DemoRecord[], size: number) {
  const streams = rawPartitions(records);
  const out: { topic: string; partition: number; messages: ConsumedMessage[] }[] = [];
  for (let from = 0; streams.some((s) => s.messages.length > from); from += size) {
    for (const s of streams)
      if (s.messages.length > from) out.push({ ...s, messages: s.messages.slice(from, from + size) });
  }
  return out;
}

/** The detectors over records of one input partition, in order. */
function detect(fleet: Fleet, records: InputRecord<unknown>[]): DeviceAlert[] {
  return records.flatMap((r) =>
    observationsOf(r).flatMap((o) => observe(fleet, o, undefined, `${r.topic}:${r.partition}`)),
  );
}

describe('device health in the fused deployment (ut.devices.clock.v1)', () => {
  const { records } = generateFloorDemo(
    { events: 8_000, seed: 17, dupRate: 0, invalidRate: 0 },
    parseFaults('clock_drift:truck-42:60@0.4'),
  );

  it('gives the detectors what the validated events give the split deployment: the same alerts, none again on a replay', async () => {
    // Split: each validated event, as device-health decodes it from ut.events.validated.v1.
    const validated: InputRecord<unknown>[] = [];
    const split = createBatchProcessor({
      stage: openFused([validate], config),
      codec,
      send: async (b) => {
        for (const t of b) {
          for (const m of t.messages) {
            if (t.topic !== topics.validated.name) continue;
            validated.push({
              topic: t.topic,
              partition: 0,
              offset: String(validated.length),
              key: null,
              headers: m.headers ?? {},
              value: avroType('serialization-event').fromBuffer(m.value),
              schemaId: 1,
              raw: m.value,
            });
          }
        }
      },
    });
    // Fused: what the fused stage sends to Kafka, through the topic's Avro type.
    const clock: InputRecord<unknown>[] = [];
    const sent: TopicMessages[] = [];
    const fused = createBatchProcessor({
      stage: openFused([validate, next], config, { roundTrip: avroRoundTrip, taps: [deviceClockTap] }),
      codec,
      send: async (b) => void sent.push(...b),
    });
    for (const batch of batches(records, 150)) {
      await split.process(batch);
      await fused.process(batch);
    }
    for (const t of sent) {
      expect(t.topic).toBe(topics.deviceClock.name);
      for (const m of t.messages) {
        const value = avroType('device-clock').fromBuffer(m.value) as { deviceId: string };
        expect(m.key).toBe(value.deviceId);
        clock.push({ ...validated[0]!, topic: t.topic, offset: String(clock.length), value, raw: m.value });
      }
    }
    // One record per device and raw batch, not one per event.
    expect(clock.length).toBeLessThan(validated.length / 10);
    expect(clock.flatMap(observationsOf)).toHaveLength(validated.flatMap(observationsOf).length);

    const splitAlerts = detect({ devices: {} }, validated);
    const fusedFleet: Fleet = { devices: {} };
    const fusedAlerts = detect(fusedFleet, clock);
    expect(splitAlerts.filter((a) => a.kind === 'device_drifting').map((a) => a.payload.device)).toEqual([
      'truck-42',
    ]);
    expect(fusedAlerts).toEqual(splitAlerts);
    // A replay of the clock records (a restart before their offsets were committed) raises nothing again.
    expect(
      detect(
        fusedFleet,
        clock.map((r, i) => ({ ...r, offset: String(clock.length + i) })),
      ),
    ).toEqual([]);
  });
});

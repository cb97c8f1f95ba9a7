import { loadConfig } from '../config';
import { InvalidInputError } from '../errors';
import { topics } from '../topics';
import { generateDemo } from '../demo';
import type { SerializationEvent } from '../events';
import { normalize } from '../sources';
import { avroRoundTrip, openFused } from './fused';
import {
  createBatchProcessor,
  type ConsumedMessage,
  type RecordCodec,
  type TopicMessages,
} from './processor';
import { defineStage } from './stage-definition';
import type { Handled, InputRecord } from './stage';

const codec: RecordCodec = {
  encode: async (topic, value) => Buffer.from(`J${JSON.stringify({ topic, value })}`),
  decode: async <T>(buf: Buffer | null) => ({
    value: JSON.parse(buf!.subarray(1).toString('utf8')) as T,
    schemaId: 3,
  }),
};
const config = loadConfig({});
type N = { n: number; tag?: string };

/** validate → count (prepare) → sink, with an alert going to Kafka from the middle. */
function chain() {
  const written: Handled<N>[] = [];
  const prepared: number[][] = [];
  const validate = defineStage({
    name: 'validate',
    summary: 'refuses negative numbers',
    inputs: ['t.raw'],
    outputs: ['t.valid'],
    handler: (r: InputRecord<N>) => {
      if (r.value.n < 0) throw new InvalidInputError([{ code: 'NEGATIVE', message: 'n < 0' }]);
      if (r.value.n === 0) return [{ kind: 'drop', reason: 'duplicate' }];
      return [{ kind: 'produce', topic: 't.valid', key: `k${r.value.n}`, value: { n: r.value.n * 10 } }];
    },
  });
  const count = defineStage({
    name: 'count',
    summary: 'tags big numbers, alerts on them',
    inputs: ['t.valid'],
    outputs: ['t.journey', 't.alerts'],
    handler: (r: InputRecord<N>, ctx: string) => [
      {
        kind: 'produce',
        topic: 't.journey',
        key: null,
        value: { n: r.value.n, tag: ctx },
        headers: { h: 'v' },
      },
      ...(r.value.n > 20
        ? [{ kind: 'produce' as const, topic: 't.alerts' as const, key: null, value: r.value }]
        : []),
    ],
    open: () => ({
      prepare: async (records: InputRecord<N>[]) => {
        prepared.push(records.map((r) => r.value.n));
        return 'counted';
      },
    }),
  });
  const sink = defineStage({
    name: 'sink',
    summary: 'writes',
    inputs: ['t.journey'],
    outputs: [],
    handler: () => [{ kind: 'done' }],
    open: () => ({ write: async (h: Handled<N>[]) => void written.push(...h) }),
  });
  return { definitions: [validate, count, sink], written, prepared };
}

const message = (offset: number, n: number): ConsumedMessage => ({
  offset: String(offset),
  key: null,
  value: Buffer.from(`J${JSON.stringify({ n })}`),
  timestamp: '1700000000000',
});

describe('a fused deployment', () => {
  it('passes records between handlers in memory, writes the sink, and sends only the rest to Kafka', async () => {
    const { definitions, written, prepared } = chain();
    const roundTrips: string[] = [];
    const fused = openFused(definitions, config, {
      roundTrip: (topic, value) => {
        roundTrips.push(topic);
        return JSON.parse(JSON.stringify(value));
      },
    });
    expect(fused.topics).toEqual(['t.raw']);
    const sent: TopicMessages[] = [];
    const processor = createBatchProcessor({
      stage: fused,
      codec,
      send: async (b) => void sent.push(...b),
    });
    const result = await processor.process({
      topic: 't.raw',
      partition: 1,
      messages: [message(10, 1), message(11, -1), message(12, 3), message(13, 0)],
    });
    // in memory: validate's outputs reached count in one batch, count's journey outputs the sink
    expect(prepared).toEqual([[10, 30]]);
    expect(roundTrips).toEqual(['t.valid', 't.valid', 't.journey', 't.journey']);
    expect(written.map((h) => h.record.value)).toEqual([
      { n: 10, tag: 'counted' },
      { n: 30, tag: 'counted' },
    ]);
    // the sink sees the headers a Kafka record would carry: origin timestamp and the producer's own
    expect(written[0]!.record.headers).toEqual({ 'ut-origin-ts': '1700000000000', h: 'v' });
    expect(written[0]!.record.topic).toBe('t.journey');
    // only the alert and the DLQ go to Kafka; the DLQ record names the inner stage and the raw coordinates
    expect(sent.map((t) => t.topic).sort()).toEqual(['t.alerts', topics.dlq.name]);
    const dlq = JSON.parse(
      sent
        .find((t) => t.topic === topics.dlq.name)!
        .messages[0]!.value.subarray(1)
        .toString('utf8'),
    ).value;
    expect(dlq).toMatchObject({
      dlqId: 'validate/t.raw/1/11',
      stage: 'validate',
      reasons: [{ code: 'NEGATIVE' }],
    });
    expect(result).toMatchObject({ records: 4, produced: 1, dlq: 1, dropped: 1 });
  });

  it('isolates a record that fails for good inside the chain and lands the rest', async () => {
    const { definitions, written } = chain();
    const sink = definitions[2]!;
    const failing = defineStage({
      ...sink,
      open: () => ({
        write: async (h: Handled<N>[]) => {
          if (h.some((x) => x.record.value.n === 20))
            throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
              code: '22021',
            });
          written.push(...h);
        },
      }),
    });
    const fused = openFused([definitions[0]!, definitions[1]!, failing], config, { roundTrip: (_t, v) => v });
    const sent: TopicMessages[] = [];
    const processor = createBatchProcessor({ stage: fused, codec, send: async (b) => void sent.push(...b) });
    await processor.process({ topic: 't.raw', partition: 0, messages: [1, 2, 3].map((n) => message(n, n)) });
    expect(written.map((h) => h.record.value.n)).toEqual([10, 30]);
    const dlq = sent
      .filter((t) => t.topic === topics.dlq.name)
      .flatMap((t) => t.messages.map((m) => JSON.parse(m.value.subarray(1).toString('utf8')).value));
    expect(
      dlq.map((d: { dlqId: string; reasons: { code: string }[] }) => [d.dlqId, d.reasons[0]!.code]),
    ).toEqual([['sink/t.raw/0/2', 'WRITE_FAILED']]);
  });

  it('names the first stage in the DLQ record of a raw record that cannot be decoded, as the split deployment does', async () => {
    const { definitions, written } = chain();
    const fused = openFused(definitions, config, { roundTrip: (_t, v) => v });
    const sent: TopicMessages[] = [];
    const processor = createBatchProcessor({ stage: fused, codec, send: async (b) => void sent.push(...b) });
    const garbage: ConsumedMessage = { ...message(5, 0), value: Buffer.from('Jnot json') };
    await processor.process({ topic: 't.raw', partition: 2, messages: [message(4, 1), garbage] });
    expect(written.map((h) => h.record.value.n)).toEqual([10]);
    const dlq = sent
      .filter((t) => t.topic === topics.dlq.name)
      .flatMap((t) => t.messages.map((m) => JSON.parse(m.value.subarray(1).toString('utf8')).value));
    expect(dlq.map((d: { dlqId: string; stage: string }) => [d.dlqId, d.stage])).toEqual([
      ['validate/t.raw/2/5', 'validate'],
    ]);
  });
});

describe('where a fused stage hands an output', () => {
  // s0 -> s1 -> s2 -> s3, where t.x and t.y are each consumed by two stages: what a stage produces
  // goes to the first stage after it that consumes the topic (so t.x from s0 to s1 but from s1 to
  // s2), and to Kafka when none does (a topic no stage reads, or one only the stage itself or an
  // earlier one reads). The answer is kept per stage and topic: the second batch must go the same way.
  type P = { path: string };
  const received: string[] = [];
  const stage = (i: number, inputs: string[], produces: string[]) =>
    defineStage({
      name: `s${i}`,
      summary: 'routes',
      inputs,
      outputs: produces,
      handler: (r: InputRecord<P>) => {
        received.push(`s${i} <- ${r.topic} ${r.value.path}`);
        return produces.map((topic) => ({
          kind: 'produce' as const,
          topic,
          key: null,
          value: { path: `${r.value.path} s${i}>${topic}` },
        }));
      },
    });
  const definitions = [
    stage(0, ['t.in'], ['t.x', 't.unknown', 't.in']),
    stage(1, ['t.x'], ['t.x', 't.y']),
    stage(2, ['t.x', 't.y'], ['t.y']),
    stage(3, ['t.y'], []),
  ];
  const raw = (offset: number): InputRecord<unknown> => ({
    topic: 't.in',
    partition: 0,
    offset: String(offset),
    key: null,
    headers: { 'ut-origin-ts': '1700000000000' },
    value: { path: `#${offset}` },
    schemaId: 1,
    raw: null,
  });

  it('goes to the first later stage that consumes the topic, else to Kafka, batch after batch', async () => {
    const fused = openFused(definitions, config, { roundTrip: (_t, v) => v });
    for (const offset of [1, 2]) {
      received.length = 0;
      const record = raw(offset);
      const result = await fused.prepare!([record]);
      const p = `#${offset}`;
      expect(received).toEqual([
        `s0 <- t.in ${p}`,
        `s1 <- t.x ${p} s0>t.x`,
        `s2 <- t.x ${p} s0>t.x s1>t.x`,
        `s2 <- t.y ${p} s0>t.x s1>t.y`,
        `s3 <- t.y ${p} s0>t.x s1>t.x s2>t.y`,
        `s3 <- t.y ${p} s0>t.x s1>t.y s2>t.y`,
      ]);
      expect(fused.handle(record, result!)).toEqual([
        { kind: 'produce', topic: 't.unknown', key: null, value: { path: `${p} s0>t.unknown` } },
        { kind: 'produce', topic: 't.in', key: null, value: { path: `${p} s0>t.in` } },
      ]);
    }
  });
});

describe('avroRoundTrip of a value made from a decoded one', () => {
  const decodedEvent = () => {
    const [raw] = generateDemo({ events: 1, seed: 4 });
    const event = normalize(raw!.topic, raw!.value, {
      topic: raw!.topic,
      partition: 0,
      offset: 1,
      schemaId: 1,
    });
    return avroRoundTrip(topics.validated.name, event) as SerializationEvent;
  };
  const both = (value: unknown, from: unknown) => ({
    full: avroRoundTrip(topics.enriched.name, value),
    fieldwise: avroRoundTrip(topics.enriched.name, value, from),
  });

  it('gives what the whole round trip gives: same fields, same class, same JSON text', () => {
    const decoded = decodedEvent();
    const changed = [
      {
        ...decoded,
        enrichment: {
          productName: 'P',
          siteName: null,
          siteCountry: 'DE',
          deviceName: null,
          operatorName: 'O',
        },
      },
      // a field left out takes its default; an extra field is dropped; a changed list is decoded anew
      { ...decoded, enrichment: undefined, extra: 1, epcList: [...decoded.epcList].reverse() },
      { ...decoded, geo: { latitude: 52.5, longitude: 13.4 }, eventTime: decoded.eventTime + 1 },
    ];
    for (const value of changed) {
      const { full, fieldwise } = both(value, decoded);
      expect(fieldwise).toEqual(full);
      expect(JSON.stringify(fieldwise)).toBe(JSON.stringify(full));
      expect((fieldwise as object).constructor).toBe((full as object).constructor);
    }
  });

  it('refuses what the whole round trip refuses', () => {
    const decoded = decodedEvent();
    const bad = { ...decoded, eventId: undefined, enrichment: { productName: 7 } };
    expect(() => avroRoundTrip(topics.enriched.name, bad)).toThrow();
    expect(() => avroRoundTrip(topics.enriched.name, bad, decoded)).toThrow();
  });
});

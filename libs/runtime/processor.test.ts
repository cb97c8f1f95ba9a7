import { DependencyError, InvalidInputError } from '../errors';
import { topics } from '../topics';
import type { RuntimeEvent } from './events';
import {
  createBatchProcessor,
  isolate,
  type ConsumedMessage,
  type RecordCodec,
  type TopicMessages,
} from './processor';
import type { Handled, Output, Stage } from './stage';

/** A codec without a registry: JSON behind a one-byte frame; 'X…' bytes are not ours. */
const fakeCodec = (failEncode: (value: unknown) => boolean = () => false): RecordCodec => ({
  async encode(topic, value) {
    if (failEncode(value)) throw new TypeError(`invalid "string": ${JSON.stringify(value)}`);
    return Buffer.from(`J${JSON.stringify({ topic, value })}`);
  },
  async decode<T>(buf: Buffer | null) {
    if (!buf || buf[0] !== 'J'.charCodeAt(0))
      throw new InvalidInputError([{ code: 'DECODE_FRAMING', message: 'not ours' }]);
    return { value: JSON.parse(buf.subarray(1).toString('utf8')) as T, schemaId: 7 };
  },
});

const IN = 'ut.in.v1';
const OUT = 'ut.out.v1';
const message = (offset: number, value: unknown): ConsumedMessage => ({
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(`J${JSON.stringify(value)}`),
  timestamp: '1700000000000',
});
const batchOf = (values: unknown[]) => ({
  topic: IN,
  partition: 2,
  messages: values.map((v, i) => message(100 + i, v)),
});

/** A PostgreSQL data error as pg raises it: SQLSTATE in `code`. */
const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'ERROR' });

interface Sent {
  batches: TopicMessages[][];
  dlq(): {
    dlqId: string;
    reasons: { code: string; message: string }[];
    originalValue: unknown;
    sourceOffset: number;
  }[];
  produced(): unknown[];
}
function recorder(): Sent & { send: (b: TopicMessages[]) => Promise<void> } {
  const batches: TopicMessages[][] = [];
  const values = (topic: string) =>
    batches
      .flat()
      .filter((t) => t.topic === topic)
      .flatMap((t) => t.messages.map((m) => JSON.parse(m.value.subarray(1).toString('utf8')).value));
  return {
    batches,
    send: async (b) => void batches.push(b),
    dlq: () => values(topics.dlq.name),
    produced: () => values(OUT),
  };
}

type Rec = { id: string; bad?: string };
const forward = (r: { value: Rec }): Output[] => [
  { kind: 'produce', topic: OUT, key: r.value.id, value: r.value },
];

function setUp(
  stage: Partial<Stage<Rec, unknown>>,
  { failEncode }: { failEncode?: (v: unknown) => boolean } = {},
) {
  const sent = recorder();
  const events: RuntimeEvent[] = [];
  const processor = createBatchProcessor<Rec, unknown>({
    stage: { name: 'test-stage', topics: [IN], handle: forward, ...stage },
    codec: fakeCodec(failEncode),
    send: sent.send,
    emit: (e) => events.push(e),
  });
  return { sent, events, processor };
}

describe('the batch processor', () => {
  it('produces every output, then writes, and reports the batch', async () => {
    const written: string[] = [];
    const { sent, events, processor } = setUp({
      write: async (h: Handled<Rec>[]) => void written.push(...h.map((x) => x.record.value.id)),
    });
    const result = await processor.process(batchOf([{ id: 'a' }, { id: 'b' }]));
    expect(sent.produced()).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(written).toEqual(['a', 'b']);
    expect(result).toEqual({ records: 2, produced: 2, dlq: 0, dropped: 0, isolated: 0 });
    expect(events.map((e) => e.type)).toEqual(['batch-start', 'produced', 'batch-end']);
    // the origin timestamp travels with the outputs
    expect(sent.batches[0]![0]!.messages[0]!.headers).toEqual({ 'ut-origin-ts': '1700000000000' });
  });

  it('isolates a record whose write fails with a data error (SQLSTATE 22021) and writes the rest', async () => {
    const written: string[] = [];
    const { sent, events, processor } = setUp({
      handle: () => [{ kind: 'done' }],
      write: async (h: Handled<Rec>[]) => {
        if (h.some((x) => x.record.value.bad))
          throw pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
        written.push(...h.map((x) => x.record.value.id));
      },
    });
    const values = Array.from({ length: 9 }, (_, i) => ({
      id: `e${i}`,
      ...(i === 5 ? { bad: 'bizStep\u0000' } : {}),
    }));
    const batch = batchOf(values);
    const result = await processor.process(batch);
    expect(written.sort()).toEqual(
      values
        .filter((v) => !v.bad)
        .map((v) => v.id)
        .sort(),
    );
    const dlq = sent.dlq();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ dlqId: `test-stage/${IN}/2/105`, sourceOffset: 105 });
    expect(dlq[0]!.reasons[0]!.code).toBe('WRITE_FAILED');
    expect(dlq[0]!.reasons[0]!.message).toContain('22021');
    expect(dlq[0]!.reasons[0]!.message).toContain('invalid byte sequence');
    // the original bytes, unaltered (JSON of a Buffer in the fake codec)
    expect(Buffer.from((dlq[0]!.originalValue as { data: number[] }).data)).toEqual(batch.messages[5]!.value);
    expect(result.isolated).toBe(1);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'isolated', step: 'write', offset: '105', toDlq: true }),
    );
    expect(events).toContainEqual({
      type: 'dlq',
      stage: 'test-stage',
      reason: 'WRITE_FAILED',
      source: 'unknown',
    });
  });

  it('isolates every bad record when there are several', async () => {
    const written: string[] = [];
    const { sent, processor } = setUp({
      handle: () => [{ kind: 'done' }],
      write: async (h: Handled<Rec>[]) => {
        if (h.some((x) => x.record.value.bad)) throw pgError('54000', 'index row requires 20048 bytes');
        written.push(...h.map((x) => x.record.value.id));
      },
    });
    const values = Array.from({ length: 20 }, (_, i) => ({
      id: `e${i}`,
      ...(i % 7 === 0 ? { bad: 'x' } : {}),
    }));
    await processor.process(batchOf(values));
    expect(written.sort()).toEqual(
      values
        .filter((v) => !v.bad)
        .map((v) => v.id)
        .sort(),
    );
    expect(sent.dlq().map((d) => d.sourceOffset)).toEqual([100, 107, 114]);
  });

  it('isolates a record that makes prepare throw (RangeError) and handles the rest with their context', async () => {
    const { sent, processor } = setUp({
      prepare: async (records) => {
        for (const r of records) if (r.value.bad) new Date(9e15).toISOString(); // RangeError: Invalid time value
        return 'ctx';
      },
      handle: (r, ctx) => [{ kind: 'produce', topic: OUT, key: null, value: { ...r.value, ctx } }],
    });
    await processor.process(batchOf([{ id: 'a' }, { id: 'b', bad: 'plantTimeMs' }, { id: 'c' }]));
    expect(sent.produced()).toEqual([
      { id: 'a', ctx: 'ctx' },
      { id: 'c', ctx: 'ctx' },
    ]);
    const [dlq] = sent.dlq();
    expect(dlq!.reasons[0]!.code).toBe('PREPARE_FAILED');
    expect(dlq!.reasons[0]!.message).toContain('Invalid time value');
    expect(dlq!.sourceOffset).toBe(101);
  });

  it('sends a record whose handler throws to the DLQ as HANDLER_ERROR, with a validation error’s own reasons', async () => {
    const { sent, processor } = setUp({
      handle: (r) => {
        if (r.value.id === 'boom') throw new TypeError('cannot read properties of undefined');
        if (r.value.id === 'invalid')
          throw new InvalidInputError([{ code: 'BAD_GTIN', message: 'check digit' }]);
        return forward(r);
      },
    });
    await processor.process(batchOf([{ id: 'boom' }, { id: 'ok' }, { id: 'invalid' }]));
    expect(sent.produced()).toEqual([{ id: 'ok' }]);
    expect(sent.dlq().map((d) => d.reasons[0]!.code)).toEqual(['HANDLER_ERROR', 'BAD_GTIN']);
  });

  it('sends a record whose output cannot be encoded to the DLQ as ENCODE_FAILED', async () => {
    const { sent, processor } = setUp({}, { failEncode: (v) => (v as Rec).bad === 'encode' });
    await processor.process(batchOf([{ id: 'a' }, { id: 'b', bad: 'encode' }]));
    expect(sent.produced()).toEqual([{ id: 'a' }]);
    expect(sent.dlq().map((d) => [d.sourceOffset, d.reasons[0]!.code])).toEqual([[101, 'ENCODE_FAILED']]);
  });

  it('isolates a record Kafka refuses as too large (SEND_FAILED); other send failures are not its fault', async () => {
    const sent = recorder();
    const tooLarge = Object.assign(new Error('The request included a message larger than the max'), {
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    // The handler makes one output too large for the broker (the input itself is small).
    const padded = (r: { value: Rec }): Output[] =>
      forward(r.value.bad ? { value: { ...r.value, bad: 'x'.repeat(300) } } : r);
    const processor = createBatchProcessor<Rec, unknown>({
      stage: { name: 'test-stage', topics: [IN], handle: padded },
      codec: fakeCodec(),
      send: async (b) => {
        if (b.some((t) => t.topic === OUT && t.messages.some((m) => m.value.length > 250))) throw tooLarge;
        await sent.send(b);
      },
    });
    await processor.process(batchOf([{ id: 'a' }, { id: 'b', bad: 'big' }, { id: 'c' }]));
    expect(sent.produced()).toEqual([{ id: 'a' }, { id: 'c' }]);
    expect(sent.dlq().map((d) => [d.sourceOffset, d.reasons[0]!.code])).toEqual([[101, 'SEND_FAILED']]);

    const down = createBatchProcessor<Rec, unknown>({
      stage: { name: 'test-stage', topics: [IN], handle: forward },
      codec: fakeCodec(),
      send: async () => {
        throw Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
          name: 'KafkaJSConnectionError',
          retriable: true,
        });
      },
    });
    await expect(down.process(batchOf([{ id: 'a' }]))).rejects.toThrow('ECONNREFUSED');
  });

  it('throws a dependency outage from any step untouched, sending nothing to the DLQ', async () => {
    for (const failing of [
      { write: async () => Promise.reject(pgError('08006', 'connection failure')) },
      {
        write: async () =>
          Promise.reject(pgError('57P01', 'terminating connection due to administrator command')),
      },
      { prepare: async () => Promise.reject(new DependencyError('redis', 'unreachable')) },
      { prepare: async () => Promise.reject(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })) },
    ] as Partial<Stage<Rec, unknown>>[]) {
      const { sent, processor } = setUp(failing);
      await expect(processor.process(batchOf([{ id: 'a' }, { id: 'b' }]))).rejects.toBeDefined();
      expect(sent.dlq()).toEqual([]);
    }
  });

  it('sends undecodable bytes to the DLQ with the decoder’s reason and the stage’s source label', async () => {
    const { sent, processor } = setUp({ sourceOf: () => 'MES' });
    const batch = batchOf([{ id: 'a' }]);
    batch.messages.push({ offset: '200', key: null, value: Buffer.from('garbage'), timestamp: '1' });
    const result = await processor.process(batch);
    expect(result).toMatchObject({ records: 2, produced: 1, dlq: 1, isolated: 0 });
    const [dlq] = sent.dlq();
    expect(dlq).toMatchObject({
      sourceOffset: 200,
      reasons: [{ code: 'DECODE_FRAMING', message: 'not ours' }],
    });
  });

  it('never sends a record it took from the DLQ and set apart once back to the DLQ (no loop)', async () => {
    const sent = recorder();
    const events: RuntimeEvent[] = [];
    const processor = createBatchProcessor<Rec, unknown>({
      stage: {
        name: 'dlq-sink',
        topics: [topics.dlq.name],
        handle: () => [{ kind: 'done' }],
        write: async () => Promise.reject(pgError('22P05', 'unsupported Unicode escape sequence')),
      },
      codec: fakeCodec(),
      send: sent.send,
      emit: (e) => events.push(e),
    });
    const first = {
      ...message(5, { id: 'validator/ut.raw.mes.v1/0/9' }),
      key: Buffer.from('validator/ut.raw.mes.v1/0/9'),
    };
    const again = { ...message(6, { id: 'wrapped' }), key: Buffer.from(`dlq-sink/${topics.dlq.name}/0/5`) };
    await processor.process({ topic: topics.dlq.name, partition: 0, messages: [first, again] });
    expect(sent.dlq().map((d) => d.dlqId)).toEqual([`dlq-sink/${topics.dlq.name}/0/5`]);
    expect(events.filter((e) => e.type === 'isolated').map((e) => e.type === 'isolated' && e.toDlq)).toEqual([
      true,
      false,
    ]);
  });

  it('gives write only the records that were not sent to the DLQ', async () => {
    const written: string[] = [];
    const { processor } = setUp({
      handle: (r) =>
        r.value.bad ? [{ kind: 'dlq', reasons: [{ code: 'RULE', message: 'no' }] }] : [{ kind: 'done' }],
      write: async (h: Handled<Rec>[]) => void written.push(...h.map((x) => x.record.value.id)),
    });
    await processor.process(batchOf([{ id: 'a' }, { id: 'b', bad: 'y' }]));
    expect(written).toEqual(['a']);
  });
});

describe('forwarding a value unchanged', () => {
  const OTHER = 'ut.other.v1';
  // The fake codec writes schema 7 for OUT (the id every input is decoded with) and 8 for OTHER.
  const codec: RecordCodec = { ...fakeCodec(), schemaIdFor: async (t) => (t === OUT ? 7 : 8) };
  const run = async (handle: Stage<Rec, unknown>['handle']) => {
    const sent = recorder();
    const processor = createBatchProcessor<Rec, unknown>({
      stage: { name: 'test-stage', topics: [IN], handle },
      codec,
      send: sent.send,
    });
    const batch = batchOf([{ id: 'a' }]);
    await processor.process(batch);
    return { consumed: batch.messages[0]!.value!, out: sent.batches.flat().flatMap((t) => t.messages) };
  };

  it('sends the consumed bytes when the handler forwards the decoded value to a topic of the same schema id', async () => {
    const { consumed, out } = await run(forward);
    expect(out).toHaveLength(1);
    expect(out[0]!.value.equals(consumed)).toBe(true);
  });

  it('encodes a changed value, and the same value for a topic of another schema id', async () => {
    const changed = await run((r) => [{ kind: 'produce', topic: OUT, key: null, value: { ...r.value } }]);
    const elsewhere = await run((r) => [{ kind: 'produce', topic: OTHER, key: null, value: r.value }]);
    // fakeCodec's encoding names the topic, so the consumed bytes ('J{"id":"a"}') are not these
    expect(changed.out[0]!.value.toString()).toBe(`J${JSON.stringify({ topic: OUT, value: { id: 'a' } })}`);
    expect(elsewhere.out[0]!.value.toString()).toBe(
      `J${JSON.stringify({ topic: OTHER, value: { id: 'a' } })}`,
    );
  });
});

describe('isolate', () => {
  it('runs the whole set once when it succeeds', async () => {
    const run = jest.fn(async (s: number[]) => s.length);
    expect(await isolate([1, 2, 3], run, () => {})).toEqual([{ items: [1, 2, 3], result: 3 }]);
    expect(run).toHaveBeenCalledTimes(1);
  });
  it('finds the bad items by halving, in about 2·log2(n) runs, and keeps the good ones together', async () => {
    const bad: number[] = [];
    const run = jest.fn(async (s: number[]) => {
      if (s.includes(13)) throw new RangeError('bad');
      return s;
    });
    const items = Array.from({ length: 64 }, (_, i) => i);
    const groups = await isolate(items, run, (i) => bad.push(i));
    expect(bad).toEqual([13]);
    expect(groups.flatMap((g) => g.items).sort((a, b) => a - b)).toEqual(items.filter((i) => i !== 13));
    expect(run.mock.calls.length).toBeLessThanOrEqual(2 * Math.log2(64) + 1);
  });
  it('rethrows what is not poison', async () => {
    const outage = new DependencyError('postgres', 'down');
    await expect(
      isolate(
        [1, 2],
        async () => Promise.reject(outage),
        () => {},
      ),
    ).rejects.toBe(outage);
  });
});

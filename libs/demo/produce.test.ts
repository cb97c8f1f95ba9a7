/**
 * produceRecords on a stream larger than a call stack's worth of arguments: `unitrail bench
 * --events 150000` and `demo --events 150000` failed with "Maximum call stack size exceeded" when the
 * newest receive time was found with Math.max(...records). A fake producer: what is sent is checked.
 */
import type { Kafka, ProducerBatch } from 'kafkajs';
import type { Codec } from '../avro';
import { produceRecords } from './produce';
import type { DemoRecord } from './stream';

describe('produceRecords', () => {
  it('sends 200,000 records, each once, their times shifted so that the newest is now', async () => {
    const batches: ProducerBatch[] = [];
    const kafka = {
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: async (b: ProducerBatch) => void batches.push(b),
      }),
    } as unknown as Kafka;
    const codec = {} as Codec; // every value is bytes already: nothing to encode
    const n = 200_000;
    const records: DemoRecord[] = Array.from({ length: n }, (_, i) => ({
      topic: 'ut.raw.mes.v1',
      key: `k${i}`,
      value: Buffer.from([i % 256]),
      kind: 'valid',
      receivedAt: 1_000_000 + i,
    }));
    const before = Date.now();
    await produceRecords(kafka, codec, records);
    const sent = batches.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages));
    expect(sent).toHaveLength(n);
    expect(new Set(sent.map((m) => m.key)).size).toBe(n);
    const last = Number(sent.at(-1)!.timestamp);
    expect(last).toBeGreaterThanOrEqual(before);
    expect(last - Number(sent[0]!.timestamp)).toBe(n - 1);
  });
});

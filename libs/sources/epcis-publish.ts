/**
 * Accepted events → one EpcisEventEnvelope each on ut.raw.epcis.v1, acknowledged by every in-sync
 * replica (acks=all) before the job says so. Each record's partition is chosen here, with the
 * partitioner kafkajs would use, so that its offset, hence its lineage `topic/partition/offset` (the
 * key ut.events, the DLQ and the deduplicator know it by), can be told to the job.
 */
import { Partitioners, type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import type { Codec } from '../avro';
import type { EpcisEventEnvelope } from './epcis';
import { withAdmin } from '../kafka';
import { topics } from '../topics';

export interface OutgoingEvent {
  key: string;
  envelope: EpcisEventEnvelope;
}

export interface Publisher {
  connect(): Promise<void>;
  /** Publishes in order; resolves with each event's raw record `topic/partition/offset`. */
  publish(events: OutgoingEvent[], onProgress?: (published: number) => Promise<void>): Promise<string[]>;
  readonly connected: boolean;
  close(): Promise<void>;
}

export function createPublisher({
  kafka,
  codec,
  topic = topics.rawEpcis.name,
  maxBatchBytes = 512 * 1024,
  maxBatchRecords = 500,
  partitionRefreshMs = 60_000,
}: {
  kafka: Kafka;
  codec: Codec;
  topic?: string;
  maxBatchBytes?: number;
  maxBatchRecords?: number;
  partitionRefreshMs?: number;
}): Publisher {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  const partitioner = Partitioners.DefaultPartitioner();
  let connected = false;
  let partitions: { count: number; at: number } | undefined;
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));

  // Partitions can be added while we run (`unitrail topics create` grows them): look again now and then.
  const partitionMetadata = async (): Promise<PartitionMetadata[]> => {
    if (!partitions || Date.now() - partitions.at > partitionRefreshMs) {
      const meta = await withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [topic] }));
      partitions = { count: meta.topics[0]?.partitions.length ?? 0, at: Date.now() };
    }
    return Array.from({ length: partitions.count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }));
  };

  return {
    get connected() {
      return connected;
    },
    async connect() {
      await producer.connect();
      await partitionMetadata();
    },
    async publish(events, onProgress) {
      const records: string[] = [];
      const metadata = await partitionMetadata();
      let batch: { key: string; value: Buffer; partition: number }[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const acks = await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
        // One record batch per partition per request: its records have consecutive offsets from baseOffset.
        const next = new Map(acks.map((a) => [a.partition, BigInt(a.baseOffset ?? '-1')]));
        for (const m of batch) {
          const offset = next.get(m.partition)!;
          records.push(`${topic}/${m.partition}/${offset}`);
          next.set(m.partition, offset + 1n);
        }
        batch = [];
        bytes = 0;
        await onProgress?.(records.length);
      };
      for (const { key, envelope } of events) {
        const value = await codec.encode(topic, envelope);
        const partition = partitioner({ topic, partitionMetadata: metadata, message: { key, value } });
        if (batch.length >= maxBatchRecords || (batch.length > 0 && bytes + value.length > maxBatchBytes)) {
          await flush();
        }
        batch.push({ key, value, partition });
        bytes += value.length;
      }
      await flush();
      return records;
    },
    async close() {
      await producer.disconnect();
    },
  };
}

/**
 * A publisher that connects on its first publish (the CLI and the ops API open one for every
 * request that might contain goods, and most never do); `close` closes it only if it was opened.
 */
export function lazyPublisher(options: Parameters<typeof createPublisher>[0]): Publisher {
  const inner = createPublisher(options);
  let up = false;
  return {
    get connected() {
      return inner.connected;
    },
    async connect() {
      await inner.connect();
      up = true;
    },
    async close() {
      if (up) await inner.close();
    },
    async publish(events, onProgress) {
      if (!up) await this.connect();
      return inner.publish(events, onProgress);
    },
  };
}

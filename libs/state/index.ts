/**
 * In-memory views of compacted topics (ut.masterdata.v1, ut.recalls.v1): read from the beginning,
 * keep the newest value per key, follow changes. `ready` resolves once the view has caught up with
 * the end offsets seen at start, so a stage never handles records against half-loaded state.
 */
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createCodec, type Codec } from '../avro';
import type { Config } from '../config';
import { createKafka, kafkaConnection } from '../kafka';
import { createLogger } from '../log';
import { createRetry } from '../retry';

export interface CompactedView<V> {
  get(key: string): V | undefined;
  values(): V[];
  size(): number;
  /** Changes with every applied record; lets handlers cache derived indexes. */
  version(): number;
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function followCompacted<V>({
  kafka,
  codec,
  topic,
  name,
}: {
  kafka: Kafka;
  codec: Codec;
  topic: string;
  name: string;
}): Promise<CompactedView<V>> {
  const log = createLogger({ component: 'state', topic });
  const map = new Map<string, V>();
  let version = 0;
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const pending = new Map(
    ends.filter((e) => Number(e.high) > Number(e.low)).map((e) => [e.partition, Number(e.high)]),
  );
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  if (pending.size === 0) markReady();

  // A record that cannot be decoded *yet* (the registry is down) waits for it: skipping it would
  // leave the view without that key, and a validator would refuse good events as unknown master
  // data. Only a record the registry cannot ever decode is skipped, with a warning.
  let stopped = false;
  const retry = createRetry({ retries: Infinity, maxMs: 5_000 });
  // A throw-away group: every process reads the whole topic, nobody shares partitions.
  const consumer = kafka.consumer({ groupId: `ut.state.${name}.${crypto.randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message, heartbeat }) => {
      const key = message.key?.toString('utf8');
      if (key) {
        const value = message.value;
        if (value === null) map.delete(key);
        else {
          try {
            const decoded = await retry(() => codec.decode<V>(value), {
              shouldStop: () => stopped,
              onRetry: async ({ error, attempt }) => {
                if (attempt === 0)
                  log.warn('a state record waits for the schema registry', {
                    key,
                    error: (error as Error).message,
                  });
                await heartbeat().catch(() => {});
              },
            });
            map.set(key, decoded.value);
          } catch (err) {
            if (stopped) return;
            log.warn('skipping an undecodable state record', { key, error: (err as Error).message });
          }
        }
        version++;
      }
      const end = pending.get(partition);
      if (end !== undefined && Number(message.offset) + 1 >= end) {
        pending.delete(partition);
        if (pending.size === 0) markReady();
      }
    },
  });
  return {
    get: (k) => map.get(k),
    values: () => [...map.values()],
    size: () => map.size,
    version: () => version,
    ready,
    stop: async () => {
      stopped = true;
      await consumer.disconnect();
    },
  };
}

/** A stage's view of a compacted topic, caught up before it returns (what `Stage.start` waits for). */
export async function followState<V>(config: Config, topic: string, name: string): Promise<CompactedView<V>> {
  const kafka = createKafka({ ...kafkaConnection(config), clientId: `unitrail-${name}-state` });
  const view = await followCompacted<V>({
    kafka,
    codec: createCodec({ url: config.schemaRegistryUrl }),
    topic,
    name,
  });
  await view.ready;
  return view;
}

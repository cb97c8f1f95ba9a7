/**
 * Event to screen: the time from a record being produced to the raw topic until the console's live
 * feed carries the event it became (a `frame` whose "just landed" list names it). The records are
 * single demo MES records, each with a fresh seed so its serials are new; one is produced after the
 * previous one was seen, so each figure is one record's way through every stage, the sink and the
 * console's next tick.
 */
import type { Kafka } from 'kafkajs';
import type { Codec } from '../avro';
import { followConsoleFeed } from '../console';
import { generateDemo } from '../demo';
import { quantile } from './surge';

export interface ConsoleBenchResult {
  events: number;
  seen: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  timeouts: number;
}

export async function runConsoleBench({
  consoleUrl,
  token,
  kafka,
  codec,
  events = 20,
  timeoutMs = 30_000,
  warmupTimeoutMs = 180_000,
  onProgress = () => {},
}: {
  consoleUrl: string;
  token: string;
  kafka: Kafka;
  codec: Codec;
  events?: number;
  timeoutMs?: number;
  /** One record first, not counted, until the stages have joined their groups and the feed ticks. */
  warmupTimeoutMs?: number;
  onProgress?: (done: number, ms: number | null) => void;
}): Promise<ConsoleBenchResult> {
  let waiting: { serial: string; resolve: (at: number) => void } | null = null;
  let failure: Error | null = null;
  const feed = followConsoleFeed(
    consoleUrl,
    token,
    (event, data, receivedAt) => {
      if (event !== 'frame' || !waiting) return;
      const recent = (data as { recent: { epc: string | null }[] }).recent;
      if (recent.some((e) => e.epc?.endsWith(`/21/${waiting!.serial}`))) waiting.resolve(receivedAt);
    },
    (err) => (failure = err),
  );
  const times: number[] = [];
  let timeouts = 0;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = -1; i < events; i++) {
      if (failure) throw failure;
      const seed = 1 + Math.floor(Math.random() * (2 ** 31 - 2));
      const [record] = generateDemo({ events: 1, seed });
      const serial = `${seed.toString(36).toUpperCase()}0C0U0`;
      const seen = new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), i < 0 ? warmupTimeoutMs : timeoutMs);
        waiting = {
          serial,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      });
      const value = Buffer.isBuffer(record!.value)
        ? record!.value
        : await codec.encode(record!.topic, record!.value);
      const t0 = Date.now();
      await producer.send({ topic: record!.topic, acks: -1, messages: [{ key: record!.key, value }] });
      const at = await seen;
      waiting = null;
      if (i < 0) {
        if (at === null)
          throw new Error(
            `the warm-up record did not reach the console's feed in ${warmupTimeoutMs / 1000} s`,
          );
        continue;
      }
      if (at === null) timeouts++;
      else times.push(at - t0);
      onProgress(i + 1, at === null ? null : at - t0);
    }
  } finally {
    feed.close();
    await producer.disconnect();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    events,
    seen: times.length,
    p50Ms: sorted.length ? quantile(sorted, 0.5) : null,
    p99Ms: sorted.length ? quantile(sorted, 0.99) : null,
    maxMs: sorted.length ? sorted[sorted.length - 1]! : null,
    timeouts,
  };
}

/**
 * The Kafka loop around the batch processor: join the group, fetch, hand each chunk to the
 * processor, retry it while a dependency is down (heartbeating, so the member is not taken for
 * dead), commit once the processor has returned (outputs acked, `write` done), replace a consumer
 * that crashed for good, and stop for good on stop().
 *
 * It is handed its consumer factory, processor, retry policy and health tracker, so its unit tests
 * drive it with fakes (loop.test.ts); `kafkaConsumer` adapts a kafkajs consumer to it.
 */
import type { Kafka } from 'kafkajs';
import { oneLine, UnitrailError } from '../errors';
import type { Logger } from '../log';
import { backoffMs, createRetry, errorCode, isRetriable, type Retry } from '../retry';
import type { Emit } from './events';
import type { HealthTracker } from './health';
import type { BatchProcessor, ConsumedMessage } from './processor';

export interface ConsumerBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  /** Records between the last message of the batch and the end of the partition. */
  offsetLag(): string;
}

export interface EachBatchPayload {
  batch: ConsumerBatch;
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** What the loop needs of a consumer; `kafkaConsumer` provides it over kafkajs. */
export interface ConsumerPort {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(topic: string): Promise<void>;
  run(opts: { concurrency: number; eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void>;
  commit(topic: string, partition: number, offset: string): Promise<void>;
  onConnect(listener: () => void): void;
  onJoin(listener: (assignment: Record<string, number[]>) => void): void;
  /** `restart`: the client restarts itself after this crash. */
  onCrash(listener: (error: unknown, restart: boolean) => void): void;
}

export interface ConsumerLoop {
  /** Connects, subscribes and starts consuming; resolves once consuming has begun. */
  start(): Promise<void>;
  /** Finishes the chunk in hand (or gives it up uncommitted), leaves the group; no consumer is ever started again. */
  stop(): Promise<void>;
}

/** Thrown inside a retry to leave it: the partition is no longer ours or the stage stops. */
const GIVE_UP = new UnitrailError('GIVE_UP', 'batch given up uncommitted');

export function createConsumerLoop({
  stage,
  groupId,
  topics,
  createConsumer,
  processor,
  batchSize = 500,
  concurrency = 3,
  retry = createRetry({ retries: Infinity, initialMs: 200, maxMs: 10_000 }),
  connectRetry = createRetry({ retries: 30, initialMs: 200, maxMs: 5_000 }),
  restartDelayMs = (crashes: number) => backoffMs(crashes - 1, { initialMs: 1000, maxMs: 30_000 }),
  maxCrashes = 10,
  crashWindowMs = 300_000,
  health,
  emit = () => {},
  log,
  onFatal = () => {},
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  heartbeatEveryMs = 1000,
  heartbeatForMs = 60_000,
}: {
  stage: string;
  groupId: string;
  topics: readonly string[];
  /** A new consumer of `groupId`; `restartOnFailure` is asked before the client restarts itself after a crash. */
  createConsumer: (opts: { restartOnFailure: () => boolean }) => ConsumerPort;
  processor: BatchProcessor;
  batchSize?: number;
  concurrency?: number;
  retry?: Retry;
  connectRetry?: Retry;
  restartDelayMs?: (crashesInWindow: number) => number;
  maxCrashes?: number;
  crashWindowMs?: number;
  health: HealthTracker;
  emit?: Emit;
  log: Logger;
  /** The consumer crashed `maxCrashes` times within `crashWindowMs`: the loop has stopped; the process should exit non-zero. */
  onFatal?: (error: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * While a chunk is in process, the loop heartbeats this often besides the processor's own beats
   * between its steps (the client sends at most one per its heartbeat interval).
   */
  heartbeatEveryMs?: number;
  /**
   * For how long after a chunk's start the timer beats: past it a chunk that never ends (a hung
   * call) no longer holds its partitions, and the session time-out hands them to another member
   * as before. The processor's own beats between its steps and retries are not bounded by it.
   */
  heartbeatForMs?: number;
}): ConsumerLoop {
  let stopping = false;
  let current: ConsumerPort | null = null;
  let crashes: number[] = [];
  let stopped: Promise<void> | undefined;

  /** Processes a chunk, retrying retriable failures; false when given up (stopping or no longer ours). */
  const processChunk = async (
    topic: string,
    partition: number,
    messages: ConsumedMessage[],
    heartbeat: () => Promise<void>,
    stillOurs: () => boolean,
  ): Promise<boolean> => {
    // A heartbeat refused because the group is rebalancing is answered by the commit that follows.
    const beat = () => heartbeat().catch(() => {});
    // A step can take longer than the session time-out: a sink's transaction behind a slow disk or
    // another transaction's lock, or a niced background stage (the surge sink) waiting for a core.
    // The member was then taken for dead, its batch redone by another, and every member of the
    // group stopped for a rebalance (four surge sinks evicted each other in turn). The process is
    // idle while it waits on the database, so a timer beats for it.
    const startedAt = Date.now();
    const ticker = setInterval(() => {
      if (Date.now() - startedAt < heartbeatForMs) void beat();
      else clearInterval(ticker);
    }, heartbeatEveryMs);
    try {
      await retry(
        async (attempt) => {
          if (attempt > 0) {
            if (stopping || !stillOurs()) throw GIVE_UP;
            // Refused: the group is rebalancing; leave eachBatch so this member can rejoin.
            await heartbeat().catch(() => {
              throw GIVE_UP;
            });
          }
          return processor.process({ topic, partition, messages }, { beat });
        },
        {
          // Give the batch up, uncommitted, rather than hold a partition through a rebalance or a
          // stop: whoever owns it next fetches it again from the last commit.
          shouldStop: () => stopping || !stillOurs(),
          onRetry: ({ error, attempt, waitMs }) => {
            health.retrying(oneLine(error));
            emit({
              type: 'retry',
              stage,
              topic,
              partition,
              attempt,
              waitMs,
              code: errorCode(error) ?? 'RETRIABLE',
              error: oneLine(error),
            });
          },
        },
      );
      return true;
    } catch (err) {
      if (err === GIVE_UP || (isRetriable(err) && (stopping || !stillOurs()))) return false;
      throw err;
    } finally {
      clearInterval(ticker);
      health.retried();
    }
  };

  const eachBatch = (consumer: ConsumerPort) => async (payload: EachBatchPayload) => {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    emit({ type: 'lag', stage, topic, partition, lag: Number(batch.offsetLag()) });
    for (let i = 0; i < batch.messages.length; i += batchSize) {
      if (stopping || !isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + batchSize);
      const stillOurs = () => isRunning() && !isStale();
      if (!(await processChunk(topic, partition, chunk, heartbeat, stillOurs))) return;
      const last = chunk[chunk.length - 1]!.offset;
      const next = (BigInt(last) + 1n).toString();
      try {
        await consumer.commit(topic, partition, next);
      } catch (err) {
        // The group moved on (this member was evicted or a rebalance began): the batch's effects are
        // idempotent, so leave it uncommitted for the partition's next owner and let the client rejoin.
        emit({ type: 'commit-refused', stage, topic, partition, error: oneLine(err) });
        return;
      }
      resolveOffset(last);
      health.progressed();
      emit({ type: 'committed', stage, topic, partition, offset: next });
      await heartbeat();
    }
    emit({ type: 'lag', stage, topic, partition, lag: 0 });
  };

  const startConsumer = async (): Promise<void> => {
    if (stopping) return;
    const consumer = createConsumer({ restartOnFailure: () => !stopping });
    current = consumer;
    // After stop(), a consumer that comes back (a restart the client had scheduled before the stop)
    // is sent away at once: nothing rejoins the group once the stage is stopping.
    const sendAway = () => {
      if (stopping) void consumer.disconnect().catch(() => {});
    };
    consumer.onConnect(sendAway);
    consumer.onJoin((assignment) => {
      if (stopping) return sendAway();
      health.joined();
      emit({ type: 'joined', stage, groupId, assignment });
    });
    consumer.onCrash((error, restart) => {
      if (stopping) return;
      health.crashed(oneLine(error));
      emit({ type: 'crashed', stage, error: oneLine(error), restart });
      if (restart) return; // the client restarts itself (and asks restartOnFailure first)
      crashes = [...crashes.filter((t) => Date.now() - t < crashWindowMs), Date.now()];
      if (crashes.length >= maxCrashes) {
        log.error(`consumer crashed ${crashes.length} times in ${crashWindowMs / 1000} s; giving up`, {
          error: oneLine(error),
        });
        void stop().then(() => onFatal(error));
        return;
      }
      void (async () => {
        await consumer.disconnect().catch(() => {});
        await sleep(restartDelayMs(crashes.length));
        if (stopping) return;
        await startConsumer().catch((err) => {
          log.error('cannot restart the consumer', { error: oneLine(err) });
          void stop().then(() => onFatal(err));
        });
      })();
    });
    await connectRetry(() => consumer.connect(), {
      shouldStop: () => stopping,
      onRetry: ({ error, attempt }) =>
        log.warn('kafka consumer: cannot connect yet, retrying', { error: oneLine(error), attempt }),
    });
    if (stopping) {
      await consumer.disconnect().catch(() => {});
      return;
    }
    for (const topic of topics) await consumer.subscribe(topic);
    await consumer.run({ concurrency, eachBatch: eachBatch(consumer) });
  };

  async function stop(): Promise<void> {
    stopped ??= (async () => {
      stopping = true;
      health.stopping();
      await current?.disconnect().catch((err) => log.warn('consumer disconnect', { error: oneLine(err) }));
    })();
    return stopped;
  }

  return { start: startConsumer, stop };
}

/** A kafkajs consumer of `groupId`, as the loop's ConsumerPort. */
export function kafkaConsumer(
  kafka: Kafka,
  {
    groupId,
    restartOnFailure,
    fetchMinBytes = 1,
    fetchMaxWaitMs = 100,
    sessionTimeoutMs = 15000,
  }: {
    groupId: string;
    restartOnFailure: () => boolean;
    fetchMinBytes?: number;
    fetchMaxWaitMs?: number;
    sessionTimeoutMs?: number;
  },
): ConsumerPort {
  // A short session (15 s by default): a SIGKILLed member is noticed soon, so its partitions move
  // on; batches heartbeat between their steps so a slow one is not taken for a dead member.
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: sessionTimeoutMs,
    rebalanceTimeout: 2 * sessionTimeoutMs,
    heartbeatInterval: 1000,
    minBytes: fetchMinBytes,
    maxWaitTimeInMs: fetchMaxWaitMs,
    maxBytesPerPartition: 4 * 1024 * 1024,
    // `surge expand` adds partitions while stages run: notice them within 30 s, not 5 minutes.
    metadataMaxAge: 30000,
    retry: { retries: 10, restartOnFailure: async () => restartOnFailure() },
  });
  return {
    connect: () => consumer.connect(),
    disconnect: () => consumer.disconnect(),
    subscribe: (topic) => consumer.subscribe({ topic, fromBeginning: true }),
    run: ({ concurrency, eachBatch }) =>
      consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: concurrency,
        eachBatch: (p) => eachBatch(p),
      }),
    commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
    onConnect: (l) => void consumer.on(consumer.events.CONNECT, () => l()),
    onJoin: (l) =>
      void consumer.on(consumer.events.GROUP_JOIN, (e) =>
        l(e.payload.memberAssignment as Record<string, number[]>),
      ),
    onCrash: (l) =>
      void consumer.on(consumer.events.CRASH, (e) => l(e.payload.error, e.payload.restart === true)),
  };
}

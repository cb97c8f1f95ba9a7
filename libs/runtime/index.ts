/**
 * The one stage runtime. A stage is a pure `handle` plus optional effects (`prepare` before it,
 * `write` after it); everything about Kafka lives here, once:
 *
 *   fetch batch → decode (by writer schema id) → prepare → handle each record → produce outputs
 *   (acks=all) → write → commit offsets → next
 *
 * Delivery: offsets are committed only after every output is acknowledged and `write` has
 * returned, so a crash anywhere replays and never loses. Undecodable or invalid input becomes a
 * DLQ record with its reasons; a retriable failure (a dependency down) pauses the batch and retries
 * it with back-off, heartbeating, until it succeeds or the process is asked to stop.
 */
import type { Consumer, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { createKafka } from '../kafka';
import { createCodec, type Codec } from '../avro';
import { topics } from '../topics';
import { UnitrailError, isRetriable, oneLine, type Reason } from '../errors';
import { createLogger, type Logger } from '../log';
import { createStageMetrics, serveMetrics, type StageMetrics } from '../metrics';
import type { Config } from '../config';

/**
 * Header carrying the Kafka timestamp of the raw record an output descends from, copied from input
 * to outputs by every stage, so the sink can tell the end-to-end latency of each event.
 */
export const ORIGIN_TS_HEADER = 'ut-origin-ts';

/** A decoded input record with its coordinates. */
export interface InputRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  headers: Record<string, string>;
  value: T;
  schemaId: number;
  /** The original value bytes, for the DLQ. */
  raw: Buffer | null;
}

/** Labels that metrics and the DLQ use to say where a record came from. */
export interface RecordLabels {
  source?: string | null;
  device?: string | null;
  eventId?: string | null;
}

export type Output =
  | { kind: 'produce'; topic: string; key: string | null; value: unknown; headers?: Record<string, string> }
  | ({ kind: 'dlq'; reasons: Reason[] } & RecordLabels)
  | ({ kind: 'drop'; reason: string } & RecordLabels)
  /** Handled with no output (a sink's row is written by `write`). */
  | { kind: 'done' };

export interface Stage<In, Ctx = undefined> {
  /** validator, deduplicator, ... Also the consumer group suffix (`ut.<name>`). */
  name: string;
  topics: string[];
  /** Effects before the pure handler (seen-set claims, state snapshots); its result is `handle`'s context. */
  prepare?: (records: InputRecord<In>[]) => Promise<Ctx>;
  /** Pure: one input record (plus read-only context) → outputs. Throwing a non-retriable error sends the record to the DLQ. */
  handle: (record: InputRecord<In>, ctx: Ctx) => Output[];
  /** Sinks: write the handled batch (in one transaction) before offsets are committed. */
  write?: (handled: { record: InputRecord<In>; outputs: Output[] }[]) => Promise<void>;
  /** Opens what the stage needs (pools, state followers); awaited before consuming. */
  start?: () => Promise<void>;
  stop?: () => Promise<void>;
  /** Source system of an input topic, to label records that cannot even be decoded. */
  sourceOf?: (topic: string) => string | null;
  /** Health detail of the stage's own dependencies. */
  health?: () => Record<string, unknown>;
}

export interface RunOptions {
  config: Config;
  groupId?: string;
  log?: Logger;
  /** Stop by itself after this long with no new records (tests, demo); undefined: run until signalled. */
  idleExitMs?: number;
  partitionsConsumedConcurrently?: number;
}

export interface RunningStage {
  metricsPort: number;
  stop: () => Promise<void>;
  /** Resolves when the stage has stopped (signal, idle exit, or fatal error). */
  done: Promise<void>;
}

/**
 * Fault injection for crash tests, off unless UNITRAIL_FAULT is set:
 * `UNITRAIL_FAULT=<stage>:<point>:<n>` SIGKILLs the process at <point> of its n-th batch.
 * Points: after-prepare (effects done, nothing produced), after-produce (outputs acked, offsets
 * not committed).
 */
function faultInjector(stage: string): (point: string) => void {
  const spec = process.env.UNITRAIL_FAULT;
  if (!spec) return () => {};
  const [forStage, point, nth] = spec.split(':');
  if (forStage !== stage) return () => {};
  let seen = 0;
  const n = Number(nth ?? 1);
  return (at) => {
    if (at === point && ++seen === n) {
      process.stderr.write(`fault injection: SIGKILL at ${stage}:${at} batch ${n}\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runStage<In, Ctx>(stage: Stage<In, Ctx>, opts: RunOptions): Promise<RunningStage> {
  const { config } = opts;
  const log = (opts.log ?? createLogger()).child({ stage: stage.name });
  const metrics = createStageMetrics(stage.name);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: `unitrail-${stage.name}` });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const groupId = opts.groupId ?? `ut.${stage.name}`;
  // A short session: a SIGKILLed member is noticed within 15 s, so its partitions move on; batches
  // heartbeat between their steps so a slow one is not taken for a dead member.
  const newConsumer = () =>
    kafka.consumer({
      groupId,
      sessionTimeout: 15000,
      rebalanceTimeout: 30000,
      heartbeatInterval: 1000,
      minBytes: config.fetchMinBytes,
      maxWaitTimeInMs: config.fetchMaxWaitMs,
      maxBytesPerPartition: 4 * 1024 * 1024,
      // `surge expand` adds partitions while stages run: notice them within 30 s, not 5 minutes.
      metadataMaxAge: 30000,
      retry: { retries: 10 },
    });
  let consumer = newConsumer();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const fault = faultInjector(stage.name);

  const state = {
    joined: false,
    crashed: null as string | null,
    retrying: null as string | null,
    lastBatchAt: 0,
  };
  const health = () => ({
    ok: state.joined && !state.crashed,
    detail: { stage: stage.name, groupId, ...state, ...stage.health?.() },
  });
  const server = await serveMetrics({ port: config.metricsPort, registry: metrics.registry, health });
  log.info('metrics listening', { port: server.port });

  await stage.start?.();
  await connectWithRetry(() => producer.connect(), 'kafka producer', log);

  let stopping = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const progress = startProgress(stage.name, metrics, log);
  let lastRecordAt = Date.now();

  /** Processes a chunk, retrying retriable failures; false when the batch was given up (stopping or rebalancing). */
  const processChunk = async (
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    heartbeat: () => Promise<void>,
    stillOurs: () => boolean,
  ): Promise<boolean> => {
    const started = process.hrtime.bigint();
    // A heartbeat refused because the group is rebalancing is answered by the commit that follows.
    const beat = () => heartbeat().catch(() => {});
    for (let attempt = 0; ; attempt++) {
      try {
        await processOnce(topic, partition, messages, beat);
        state.retrying = null;
        break;
      } catch (err) {
        if (!isRetriable(err)) throw err;
        // Give the batch up, uncommitted, rather than hold a partition through a rebalance or a stop:
        // whoever owns it next fetches it again from the last commit.
        if (stopping || !stillOurs()) return false;
        const code = err instanceof UnitrailError ? err.code : 'RETRIABLE';
        metrics.retries.inc({ stage: stage.name, code });
        state.retrying = oneLine(err);
        const wait = Math.min(10000, 200 * 2 ** Math.min(attempt, 6));
        log.warn('batch failed, retrying', { error: oneLine(err), attempt, waitMs: wait, topic, partition });
        await sleep(wait);
        try {
          await heartbeat();
        } catch {
          return false; // the group is rebalancing: leave eachBatch so this member can rejoin
        }
      }
    }
    metrics.batchSeconds.observe({ stage: stage.name }, Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  };

  const processOnce = async (
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    beat: () => Promise<void>,
  ) => {
    const decoded: InputRecord<In>[] = [];
    const early: { message: KafkaMessage; outputs: Output[] }[] = [];
    for (const message of messages) {
      try {
        const { value, schemaId } = await codec.decode<In>(message.value);
        decoded.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          headers: { [ORIGIN_TS_HEADER]: message.timestamp, ...headersToStrings(message.headers) },
          value,
          schemaId,
          raw: message.value,
        });
      } catch (err) {
        if (isRetriable(err)) throw err;
        early.push({
          message,
          outputs: [{ kind: 'dlq', reasons: reasonsOf(err), source: stage.sourceOf?.(topic) ?? null }],
        });
      }
    }
    await beat();
    const ctx = stage.prepare ? await stage.prepare(decoded) : (undefined as Ctx);
    await beat();
    fault('after-prepare');
    const handled = decoded.map((record) => {
      try {
        return { record, outputs: stage.handle(record, ctx) };
      } catch (err) {
        if (isRetriable(err)) throw err;
        return { record, outputs: [{ kind: 'dlq', reasons: reasonsOf(err) } as Output] };
      }
    });

    const byTopic = new Map<string, { key: string | Buffer | null; value: Buffer; headers?: IHeaders }[]>();
    const push = (t: string, m: { key: string | Buffer | null; value: Buffer; headers?: IHeaders }) => {
      const list = byTopic.get(t) ?? [];
      list.push(m);
      byTopic.set(t, list);
    };
    const all = [
      ...early.map((e) => ({
        coords: coordsOf(topic, partition, e.message),
        schemaId: null,
        outputs: e.outputs,
      })),
      ...handled.map((h) => ({
        coords: coordsOf(topic, partition, h.record),
        schemaId: h.record.schemaId,
        outputs: h.outputs,
      })),
    ];
    for (const { coords, schemaId, outputs } of all) {
      for (const out of outputs) {
        if (out.kind === 'produce') {
          const origin = coords.headers[ORIGIN_TS_HEADER];
          push(out.topic, {
            key: out.key,
            value: await codec.encode(out.topic, out.value),
            headers: origin ? { [ORIGIN_TS_HEADER]: origin, ...out.headers } : out.headers,
          });
          metrics.recordsOut.inc({ stage: stage.name, topic: out.topic });
        } else if (out.kind === 'dlq') {
          const dlq = dlqRecord(stage.name, coords, schemaId, out);
          push(topics.dlq.name, { key: dlq.dlqId, value: await codec.encode(topics.dlq.name, dlq) });
          for (const r of out.reasons)
            metrics.recordsDlq.inc({ stage: stage.name, reason: r.code, source: out.source ?? 'unknown' });
        } else if (out.kind === 'drop') {
          metrics.recordsDropped.inc({
            stage: stage.name,
            reason: out.reason,
            source: out.source ?? 'unknown',
            device: out.device ?? 'unknown',
          });
        }
      }
    }
    if (byTopic.size > 0) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([t, msgs]) => ({ topic: t, messages: msgs })),
      });
    }
    await beat();
    if (stage.write) await stage.write(handled);
    fault('after-produce');
    metrics.recordsIn.inc({ stage: stage.name, topic }, messages.length);
  };

  /** Joins the group and consumes; a consumer that crashes for good is replaced, with back-off. */
  let crashes: number[] = [];
  const startConsumer = async (): Promise<void> => {
    await connectWithRetry(() => consumer.connect(), 'kafka consumer', log);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      state.joined = true;
      state.crashed = null;
      log.info('joined group', { groupId, assignment: e.payload.memberAssignment });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || stopping) return; // kafkajs restarts the consumer itself
      state.joined = false;
      state.crashed = oneLine(e.payload.error);
      crashes = [...crashes.filter((t) => Date.now() - t < 300_000), Date.now()];
      if (crashes.length > 10) {
        log.error('consumer crashed 10 times in 5 minutes; giving up', { error: e.payload.error });
        void stop().then(() => (process.exitCode = 1));
        return;
      }
      log.warn('consumer crashed; starting a new one', { error: oneLine(e.payload.error) });
      const old = consumer;
      void (async () => {
        await old.disconnect().catch(() => {});
        await sleep(1000 * crashes.length);
        if (stopping) return;
        consumer = newConsumer();
        await startConsumer().catch((err) => {
          log.error('cannot restart the consumer', { error: oneLine(err) });
          void stop().then(() => (process.exitCode = 1));
        });
      })();
    });
    for (const topic of stage.topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const { topic, partition } = batch;
        metrics.consumerLag.set(
          { stage: stage.name, topic, partition: String(partition) },
          Number(batch.offsetLag()),
        );
        for (let i = 0; i < batch.messages.length; i += config.batchSize) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + config.batchSize);
          if (!(await processChunk(topic, partition, chunk, heartbeat, () => isRunning() && !isStale())))
            return;
          const last = chunk[chunk.length - 1]!.offset;
          try {
            await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
          } catch (err) {
            // The group moved on (this member was evicted or a rebalance began): the batch's effects are
            // idempotent, so leave it uncommitted for the partition's next owner and let kafkajs rejoin.
            log.warn('commit refused by the group; the batch will be redelivered', {
              error: oneLine(err),
              topic,
              partition,
            });
            return;
          }
          resolveOffset(last);
          lastRecordAt = Date.now();
          state.lastBatchAt = lastRecordAt;
          await heartbeat();
        }
        metrics.consumerLag.set({ stage: stage.name, topic, partition: String(partition) }, 0);
      },
    });
  };
  await startConsumer();

  const idleTimer =
    opts.idleExitMs === undefined
      ? undefined
      : setInterval(() => {
          if (Date.now() - lastRecordAt > opts.idleExitMs!) void stop();
        }, 250);

  // SIGTERM/SIGINT: kafkajs' disconnect lets the batch in hand finish (we commit after each chunk),
  // then leaves the group so the partitions move at once instead of after the session time-out.
  async function stop(): Promise<void> {
    if (stopping) return done;
    stopping = true;
    clearInterval(idleTimer);
    log.info('stopping: finishing the batch in hand, committing, leaving the group');
    try {
      await consumer.disconnect();
      await producer.disconnect();
      await stage.stop?.();
    } catch (err) {
      log.error('error while stopping', { error: oneLine(err) });
    } finally {
      progress.stop();
      await server.close();
      log.info('stopped');
      resolveDone();
    }
    return done;
  }
  return { metricsPort: server.port, stop, done };
}

/** Runs a stage until SIGTERM/SIGINT; the process exits 0 after a clean stop. */
export async function runStageUntilSignalled<In, Ctx>(
  stage: Stage<In, Ctx>,
  opts: RunOptions,
): Promise<void> {
  const running = await runStage(stage, opts);
  const onSignal = (signal: string) => {
    (opts.log ?? createLogger()).info('signal received', { signal, stage: stage.name });
    void running.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await running.done;
}

async function connectWithRetry(connect: () => Promise<void>, what: string, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connect();
    } catch (err) {
      if (attempt >= 30) throw err;
      log.warn(`${what}: cannot connect yet, retrying`, { error: oneLine(err), attempt });
      await sleep(Math.min(5000, 200 * 2 ** attempt));
    }
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

function reasonsOf(err: unknown): Reason[] {
  const reasons = (err as { reasons?: Reason[] }).reasons;
  if (Array.isArray(reasons) && reasons.length > 0) return reasons;
  const code = err instanceof UnitrailError ? err.code : 'HANDLER_ERROR';
  return [{ code, message: oneLine(err) }];
}

interface Coords {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  raw: Buffer | null;
  headers: Record<string, string>;
}

function coordsOf(topic: string, partition: number, m: KafkaMessage | InputRecord<unknown>): Coords {
  const raw = 'raw' in m ? m.raw : m.value;
  const headers = 'raw' in m ? m.headers : headersToStrings(m.headers);
  return { topic, partition, offset: m.offset, key: m.key ?? null, raw, headers };
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

/** Logs records/s in and out every 5 s while records flow: the progress of a long run. */
function startProgress(stage: string, metrics: StageMetrics, log: Logger) {
  let lastIn = 0;
  let lastOut = 0;
  const total = async (c: { get: () => Promise<{ values: { value: number }[] }> }) =>
    (await c.get()).values.reduce((s, v) => s + v.value, 0);
  const timer = setInterval(async () => {
    const inNow = await total(metrics.recordsIn);
    const outNow = await total(metrics.recordsOut);
    const lag = await total(metrics.consumerLag);
    if (inNow !== lastIn) {
      log.info('progress', {
        stage,
        inPerSec: (inNow - lastIn) / 5,
        outPerSec: (outNow - lastOut) / 5,
        recordsIn: inNow,
        lag,
      });
    }
    lastIn = inNow;
    lastOut = outNow;
  }, 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export type { Codec, Consumer, Producer };

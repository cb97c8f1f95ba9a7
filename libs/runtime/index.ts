/**
 * The one stage runtime. A stage is a pure `handle` plus optional effects (`prepare` before it,
 * `write` after it); everything about Kafka lives here, once, in two layers:
 *
 *  - the batch processor (processor.ts) knows nothing of Kafka. Handed a stage, a codec and a
 *    `send(topicMessages)`, it takes one partition's chunk through
 *      decode (by writer schema id) → prepare → handle each record → encode → send → write
 *    and reports through instrumentation events (events.ts). A record that fails for good in any
 *    step is isolated (the batch is split in halves and re-run) and goes to the DLQ with a reason
 *    code (DECODE_*, PREPARE_FAILED, HANDLER_ERROR or the handler's own, ENCODE_FAILED,
 *    SEND_FAILED, WRITE_FAILED), its original bytes, coordinates and the error; the partition
 *    moves on. A retriable error (a dependency down, decided by codes in libs/retry) is thrown.
 *  - the Kafka loop (loop.ts) consumes, retries a chunk with back-off while a dependency is down
 *    (heartbeating), commits once the processor returned (outputs acked, `write` done), replaces a
 *    consumer that crashed for good, and after stop() lets nothing rejoin the group.
 *
 * Delivery: at least once; a crash anywhere replays and never loses. /healthz (health.ts) answers
 * 503 with the reason while the consumer is out of the group, crashed, in a restart loop, or has
 * retried one batch longer than UNHEALTHY_AFTER_SECONDS.
 *
 * Declaring a stage (stage-definition.ts):
 *
 *   export const enricher = defineStage({
 *     name: 'enricher',                      // consumer group ut.enricher
 *     inputs: [topics.unique.name],
 *     outputs: [topics.enriched.name],       // handle may only produce to these (type-checked)
 *     handler: handleEnrich,                 // (record: InputRecord<In>, ctx: Ctx) => Output<Out>[]
 *     open: (config) => ({ start, prepare, write, stop, health }),   // pools, followers: opened only here
 *   });
 *
 * and list it once in services/stages.ts. `name`, `inputs`, `outputs` are readable without opening
 * anything (`unitrail topology`); `openStage(definition, config)` gives the `Stage` that
 * `runStage(stage, { config })` runs. A `Stage` can still be built by hand with the same fields as
 * before (`name`, `topics`, `prepare`, `handle`, `write`, `start`, `stop`, `sourceOf`, `health`).
 */
import type { Consumer, Producer } from 'kafkajs';
import { createKafka, kafkaConnection } from '../kafka';
import { createCodec, type Codec } from '../avro';
import { oneLine } from '../errors';
import { createLogger, type Logger } from '../log';
import { createStageMetrics, serveMetrics, type StageMetrics } from '../metrics';
import { createRetry } from '../retry';
import type { Config } from '../config';
import { createInstrumentation, type Emit, type RuntimeEvent } from './events';
import { createHealth } from './health';
import { createConsumerLoop, kafkaConsumer } from './loop';
import { createBatchProcessor, type FaultPoint, type Send } from './processor';
import type { Stage } from './stage';
import { lowerPriority, niceOf } from './priority';

export * from './stage';
export * from './stage-definition';
export { createInstrumentation, type Emit, type RuntimeEvent, type Step } from './events';
export { createHealth, type HealthReport, type HealthTracker } from './health';
export {
  createBatchProcessor,
  dlqRecord,
  headersToStrings,
  isolate,
  type Batch,
  type BatchProcessor,
  type BatchResult,
  type ConsumedMessage,
  type OutgoingMessage,
  type RecordCodec,
  type Send,
  type TopicMessages,
} from './processor';
export {
  createConsumerLoop,
  kafkaConsumer,
  type ConsumerBatch,
  type ConsumerLoop,
  type ConsumerPort,
  type EachBatchPayload,
} from './loop';

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
function faultInjector(stage: string): (point: FaultPoint) => void {
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

/**
 * How long a quiet stage's fetch waits for records. An empty fetch every FETCH_MAX_WAIT_MS (100 ms)
 * cost an idle consumer about 30 ms of CPU a second, as much as a stage at work on a loaded box;
 * one every few seconds costs next to nothing. The client heartbeats between fetches, so the wait
 * stays well inside the session time-out (a third of it, at most 5 s).
 */
export const quietFetchWaitMs = (sessionTimeoutMs: number) =>
  Math.min(5000, Math.floor(sessionTimeoutMs / 3));

/**
 * How a stage's consumer reads: partitions in flight, session time-out, fetch wait. A background
 * stage (the surge sink, niced) writes BACKGROUND_CONCURRENCY partitions at once, not 3: each one
 * in flight is a PostgreSQL backend at full priority (the niceness is the process's, not its
 * backends'), so four surge consumers ran twelve transactions beside the normal flow's sink and
 * queued on the same relation extensions; scaling out adds writers one per consumer instead. It
 * keeps its membership through BACKGROUND_SESSION_TIMEOUT_MS, since a niced process may wait
 * seconds for a core while the normal flow has them (an eviction stops the whole group).
 */
export function consumerSettings(
  stage: Pick<Stage<unknown, unknown>, 'background' | 'quiet' | 'concurrency'>,
  config: Pick<
    Config,
    'kafkaSessionTimeoutMs' | 'fetchMaxWaitMs' | 'backgroundConcurrency' | 'backgroundSessionTimeoutMs'
  >,
  partitionsConsumedConcurrently?: number,
): { concurrency: number; sessionTimeoutMs: number; fetchMaxWaitMs: number } {
  const background = stage.background === true;
  return {
    concurrency:
      partitionsConsumedConcurrently ?? stage.concurrency ?? (background ? config.backgroundConcurrency : 3),
    sessionTimeoutMs: background ? config.backgroundSessionTimeoutMs : config.kafkaSessionTimeoutMs,
    // from the normal session time-out: a record on a quiet topic waits no longer than before
    fetchMaxWaitMs: stage.quiet ? quietFetchWaitMs(config.kafkaSessionTimeoutMs) : config.fetchMaxWaitMs,
  };
}

/** Metrics listen to the runtime's events. */
export function metricsListener(metrics: StageMetrics): Emit {
  return (e: RuntimeEvent) => {
    switch (e.type) {
      case 'batch-end':
        metrics.recordsIn.inc({ stage: e.stage, topic: e.topic }, e.size);
        metrics.batchSeconds.observe({ stage: e.stage }, e.seconds);
        break;
      case 'produced':
        metrics.recordsOut.inc({ stage: e.stage, topic: e.topic }, e.count);
        break;
      case 'dlq':
        metrics.recordsDlq.inc({ stage: e.stage, reason: e.reason, source: e.source });
        break;
      case 'dropped':
        metrics.recordsDropped.inc({ stage: e.stage, reason: e.reason, source: e.source, device: e.device });
        break;
      case 'retry':
        metrics.retries.inc({ stage: e.stage, code: e.code });
        break;
      case 'lag':
        metrics.consumerLag.set({ stage: e.stage, topic: e.topic, partition: String(e.partition) }, e.lag);
        break;
      default:
        break;
    }
  };
}

/** Logs what a person running the stage needs to know, from the runtime's events. */
export function logListener(log: Logger): Emit {
  return (e: RuntimeEvent) => {
    switch (e.type) {
      case 'isolated': {
        const { type: _type, ...fields } = e;
        if (e.toDlq) log.warn('record failed for good; sent to the DLQ, the batch goes on', fields);
        else log.error('record from the DLQ failed again; left on the DLQ topic, skipped', fields);
        break;
      }
      case 'retry':
        log.warn('batch failed, retrying', {
          error: e.error,
          attempt: e.attempt,
          waitMs: e.waitMs,
          topic: e.topic,
          partition: e.partition,
        });
        break;
      case 'joined':
        log.info('joined group', { groupId: e.groupId, assignment: e.assignment });
        break;
      case 'crashed':
        log.warn(
          e.restart ? 'consumer crashed; the client restarts it' : 'consumer crashed; starting a new one',
          {
            error: e.error,
          },
        );
        break;
      case 'commit-refused':
        log.warn('commit refused by the group; the batch will be redelivered', {
          error: e.error,
          topic: e.topic,
          partition: e.partition,
        });
        break;
      default:
        break;
    }
  };
}

export async function runStage<In, Ctx>(stage: Stage<In, Ctx>, opts: RunOptions): Promise<RunningStage> {
  const { config } = opts;
  const log = (opts.log ?? createLogger()).child({ stage: stage.name });
  const metrics = createStageMetrics(stage.name, { quiet: stage.quiet === true });
  const kafka = createKafka({ ...kafkaConnection(config), clientId: `unitrail-${stage.name}` });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const groupId = opts.groupId ?? `ut.${stage.name}`;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const instrumentation = createInstrumentation();
  instrumentation.on(metricsListener(metrics));
  instrumentation.on(logListener(log));
  let lastRecordAt = Date.now();
  instrumentation.on((e) => {
    if (e.type === 'committed') lastRecordAt = Date.now();
  });
  const health = createHealth({ unhealthyAfterMs: config.unhealthyAfterSeconds * 1000 });

  const server = await serveMetrics({
    port: config.metricsPort,
    registry: metrics.registry,
    health: () => {
      const h = health.report();
      return {
        ok: h.ok,
        detail: {
          stage: stage.name,
          groupId,
          ...(h.reason ? { reason: h.reason } : {}),
          ...h.detail,
          ...stage.health?.(),
        },
      };
    },
  });
  log.info('metrics listening', { port: server.port });

  await stage.start?.();
  await createRetry({ retries: 30, initialMs: 200, maxMs: 5000 })(() => producer.connect(), {
    onRetry: ({ error, attempt }) =>
      log.warn('kafka producer: cannot connect yet, retrying', { error: oneLine(error), attempt }),
  });

  const send: Send = async (topicMessages) => {
    await producer.sendBatch({ acks: -1, topicMessages });
  };
  const processor = createBatchProcessor({
    stage,
    codec,
    send,
    emit: instrumentation.emit,
    fault: faultInjector(stage.name),
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const progress = startProgress(stage.name, metrics, log);
  const reading = consumerSettings(stage, config, opts.partitionsConsumedConcurrently);
  const loop = createConsumerLoop({
    stage: stage.name,
    groupId,
    topics: stage.topics,
    createConsumer: ({ restartOnFailure }) =>
      kafkaConsumer(kafka, {
        groupId,
        restartOnFailure,
        fetchMinBytes: config.fetchMinBytes,
        fetchMaxWaitMs: reading.fetchMaxWaitMs,
        sessionTimeoutMs: reading.sessionTimeoutMs,
      }),
    processor,
    batchSize: config.batchSize,
    concurrency: reading.concurrency,
    health,
    emit: instrumentation.emit,
    log,
    onFatal: () => {
      process.exitCode = 1;
      void stop();
    },
  });

  let stopping: Promise<void> | undefined;
  // SIGTERM/SIGINT: the consumer's disconnect lets the chunk in hand finish (we commit after each
  // chunk), then leaves the group so the partitions move at once instead of after the session time-out.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      clearInterval(idleTimer);
      log.info('stopping: finishing the batch in hand, committing, leaving the group');
      try {
        await loop.stop();
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
    })());

  const idleTimer =
    opts.idleExitMs === undefined
      ? undefined
      : setInterval(() => {
          if (Date.now() - lastRecordAt > opts.idleExitMs!) void stop();
        }, 250);

  await loop.start();
  return { metricsPort: server.port, stop, done };
}

/** Runs a stage until SIGTERM/SIGINT; the process exits 0 after a clean stop. */
export async function runStageUntilSignalled<In, Ctx>(
  stage: Stage<In, Ctx>,
  opts: RunOptions,
): Promise<void> {
  // Its own process only: the niceness is the process's, and a test's jest is not a stage.
  const priority = lowerPriority(niceOf(stage, opts.config));
  if (priority.nice > 0) {
    (opts.log ?? createLogger()).info('lower CPU priority', {
      stage: stage.name,
      background: stage.background === true,
      ...priority,
    });
  }
  const running = await runStage(stage, opts);
  const onSignal = (signal: string) => {
    (opts.log ?? createLogger()).info('signal received', { signal, stage: stage.name });
    void running.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await running.done;
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
export { lowerPriority, niceOf, type Priority } from './priority';
export { describeTopology, formatTopology, type Topology } from './topology';
export { avroRoundTrip, openFused } from './fused';
export type { FusedTap } from './fused';

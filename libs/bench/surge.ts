/**
 * The recall surge benchmark (`unitrail bench surge`). On a database of its own:
 *
 *   1. the pipeline runs; a demo stream goes in at a fixed rate (normal flow)          "before"
 *   2. a recall is declared, and records in its scope arrive at surgeFactor × that     "during"
 *      rate on top: the router sends them to the surge topic, drained by the surge sink
 *      group scaled out; the normal flow keeps going
 *   3. the surge records, now on the surge topic, are drained again from their first offset
 *      into fresh databases by 1 and by 4 surge consumers: the drain times
 *
 * The pipeline is the split deployment (a process per stage) or, with `deployment: 'fused'`, one
 * `run pipeline` process (docs/operations.md): the recall's records arrive on the same raw
 * partitions as the normal flow, so every stage before the router carries normal + surge, and on a
 * small box that upstream, not the surge sink, is what the normal flow waits for.
 *
 * Normal-flow latency is per record: the moment it was handed to Kafka → inserted_at of its row
 * in ut.events (transaction start of the sink's write, same clock). Records are matched to rows
 * by lineage (raw topic/partition/offset), known from the producer's acknowledgements.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { Partitioners, type Kafka, type Message, type PartitionMetadata } from 'kafkajs';
import type { Config } from '../config';
import { createCodec, type Codec } from '../avro';
import { UnitrailError } from '../errors';
import { createKafka, kafkaConnection, ensureTopics, groupLag, startGroupsAtEnd, withAdmin } from '../kafka';
import { databaseName, scratchDatabase } from '../store';
import { demoMasterdata, generateDemo, world, type DemoRecord } from '../demo';
import { gs1CheckDigit } from '../gs1';
import { loadMasterdata } from '../masterdata';
import type { MesUnitEvent } from '../sources';
import type { Recall } from '../recalls';
import { topics } from '../topics';
import { sampleWaits, type WaitShares } from './waits';

/** Something started that stop() ends cleanly (stage processes, a supervisor). */
export interface Running {
  stop(): Promise<void>;
  /** Why a process of it ended on its own (a crash, a restart), or null. */
  failure?(): string | null;
}

export interface SurgeBenchOptions {
  config: Config;
  /** Normal-flow records per second. */
  rate?: number;
  /** Length of the "before" and of the "during" phase. */
  phaseSeconds?: number;
  warmupSeconds?: number;
  /** Surge records per second = surgeFactor × rate. */
  surgeFactor?: number;
  /** The normal flow's deployment: a process per stage (default), or one fused process. */
  deployment?: 'split' | 'fused';
  /** Consumers of the surge sink for each drain measurement; the largest also drains live. */
  consumerCounts?: number[];
  /** Starts n processes of a stage in the consumer group given, with extra environment. */
  startConsumers: (stage: string, n: number, groupId: string, env: NodeJS.ProcessEnv) => Running;
  progress?: (line: string) => void;
  /** Aborts the run (Ctrl-C): everything started is stopped, scratch databases dropped. */
  signal?: AbortSignal;
}

export interface DrainResult {
  consumers: number;
  events: number;
  /** From starting the processes to the group's commits reaching the surge's end. */
  seconds: number;
  /** Of which: until the last of them joined the group. */
  join_seconds: number;
  events_per_s: number;
  /** What the surge sinks' transactions waited on (pg_stat_activity samples): target lock waits < 5%. */
  sink_waits: WaitShares;
}

export interface SurgeBenchResult {
  bench: 'surge';
  deployment: 'split' | 'fused';
  cores: number;
  load_average_at_start: number;
  rate: number;
  surge_rate: number;
  phase_seconds: number;
  normal_before: LatencySummary;
  normal_during: LatencySummary;
  /** p99 during / p99 before (target ≤ 2). */
  p99_ratio: number;
  surge_events_produced: number;
  surge_events_on_topic: number;
  drain: DrainResult[];
  /** Drain seconds with the most consumers / with the fewest (target ≤ 0.5). */
  drain_ratio: number | null;
  total_seconds: number;
}

export interface LatencySummary {
  events: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

/** The demo's GS1 Company Prefix (its GLNs start with it). */
const DEMO_COMPANY_PREFIX = world.plantGln.slice(0, 7);
const PIPELINE = ['validator', 'deduplicator', 'enricher', 'router', 'journey-sink'];
const SURGE_STAGE = 'journey-sink-surge';
/** The fused deployment's process (`unitrail run pipeline`): validator → … → journey-sink in one. */
const FUSED_STAGE = 'pipeline';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The q-quantile (0..1) of the values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  return {
    events: latencies.length,
    p50_ms: Math.round(quantile(latencies, 0.5)),
    p99_ms: Math.round(quantile(latencies, 0.99)),
    max_ms: Math.round(quantile(latencies, 1)),
  };
}

/**
 * Records in a recall's scope: the MES records (commission, pack) of a demo stream, all made one
 * GTIN and one lot, so a recall of that lot covers each of them and nothing of the normal stream.
 * Their cases get SSCCs of their own (extension digit 9): the demo numbers cases by pallet only,
 * and a case shared with the normal stream would pull its later events into the recall too.
 */
export function surgeRecords({
  count,
  seed,
  lot,
  gtin = world.gtins[0]!,
}: {
  count: number;
  seed: number;
  lot: string;
  gtin?: string;
}): DemoRecord[] {
  const out: DemoRecord[] = [];
  const cases = new Map<string, string>();
  const caseOf = (sscc: string) => {
    let own = cases.get(sscc);
    if (!own) {
      const ref = String((seed % 10_000) * 100_000 + cases.size).padStart(9, '0');
      const digits = `9${DEMO_COMPANY_PREFIX}${ref}`;
      own = digits + String(gs1CheckDigit(digits));
      cases.set(sscc, own);
    }
    return own;
  };
  // 8 of a pallet's 13 records are MES records
  const demo = generateDemo({ events: Math.ceil((count * 13) / 8) + 13, seed });
  for (const r of demo) {
    if (out.length >= count) break;
    if (r.topic !== topics.rawMes.name) continue;
    const mes = r.value as MesUnitEvent;
    out.push({ ...r, value: { ...mes, gtin, lot, caseSscc: mes.caseSscc && caseOf(mes.caseSscc) } });
  }
  return out;
}

export function surgeRecall(recallId: string, lot: string, gtin = world.gtins[0]!): Recall {
  const recall = {
    recallId,
    status: 'active',
    reason: 'bench surge',
    gtin,
    lots: [lot],
    serials: [] as string[],
    fromTime: null,
    toTime: null,
    deviceId: null,
    declaredAt: Date.now(),
    closedAt: null,
    declaredBy: 'unitrail bench surge',
    containers: [] as string[],
    units: [] as string[],
    quarantinedAt: null,
    quarantineSites: [] as string[],
  };
  return recall;
}

/** One source of records for the paced producer: sent at `rate` per second, in order. */
interface PacedSource {
  records: DemoRecord[];
  rate: number;
  next: number;
  /** Called with each acknowledged record's lineage and the time it was handed to Kafka. */
  onSent?: (lineage: string, sentAt: number) => void;
}

/**
 * Sends each source's records at its rate for `seconds` (catching up when a send took long, so
 * the average rate holds). Partitions are chosen here with kafkajs' default partitioner, so the
 * producer's acknowledgement (base offset per partition) gives every record's offset.
 */
async function pace(
  kafka: Kafka,
  codec: Codec,
  partitionsOf: Map<string, PartitionMetadata[]>,
  sources: PacedSource[],
  seconds: number,
  guard: Guard,
): Promise<void> {
  const partitioner = Partitioners.DefaultPartitioner();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const t0 = Date.now();
    for (;;) {
      guard();
      const elapsed = (Date.now() - t0) / 1000;
      const last = elapsed >= seconds;
      const due = sources.map((s) => {
        const want = Math.min(s.records.length, Math.floor(Math.min(elapsed, seconds) * s.rate));
        const batch = s.records.slice(s.next, want);
        s.next = Math.max(s.next, want);
        return batch;
      });
      const byPartition = new Map<string, { source: PacedSource; message: Message }[]>();
      for (let i = 0; i < sources.length; i++) {
        for (const r of due[i]!) {
          const value = Buffer.isBuffer(r.value) ? r.value : await codec.encode(r.topic, r.value);
          const partition = partitioner({
            topic: r.topic,
            partitionMetadata: partitionsOf.get(r.topic)!,
            message: { key: r.key, value },
          });
          const k = `${r.topic}/${partition}`;
          const list = byPartition.get(k) ?? [];
          list.push({ source: sources[i]!, message: { key: r.key, value, partition } });
          byPartition.set(k, list);
        }
      }
      if (byPartition.size > 0) {
        const byTopic = new Map<string, Message[]>();
        for (const [k, list] of byPartition) {
          const topic = k.slice(0, k.lastIndexOf('/'));
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...list.map((x) => x.message)]);
        }
        const sentAt = Date.now();
        const acks = await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const a of acks) {
          const list = byPartition.get(`${a.topicName}/${a.partition}`) ?? [];
          const base = Number(a.baseOffset);
          list.forEach((x, i) => x.source.onSent?.(`${a.topicName}/${a.partition}/${base + i}`, sentAt));
        }
      }
      if (last) return;
      await sleep(50);
    }
  } finally {
    await producer.disconnect();
  }
}

async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  return withAdmin(
    kafka,
    async (admin) =>
      new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])),
  );
}

/** Throws when the run must stop: asked to (Ctrl-C), or a stage failed or lost its group to another run. */
type Guard = () => void;

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  { everyMs = 250, guard = () => {} }: { everyMs?: number; guard?: Guard } = {},
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    guard();
    if (await check()) return;
    if (Date.now() > until) throw new UnitrailError('BENCH_TIMEOUT', `timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** True when the group's committed offsets reach `ends` on every partition. */
async function caughtUp(kafka: Kafka, groupId: string, topic: string, ends: Map<number, number>) {
  return withAdmin(kafka, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map(committed!.partitions.map((p) => [p.partition, Number(p.offset)]));
    return [...ends].every(([p, end]) => end === 0 || (at.get(p) ?? -1) >= end);
  });
}

async function members(kafka: Kafka, groupId: string): Promise<number> {
  return withAdmin(
    kafka,
    async (admin) => (await admin.describeGroups([groupId])).groups[0]?.members.length ?? 0,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Active recalls the router holds, from its /healthz (the fused process answers each stage's
 * health under the stage's name); -1 while it does not answer.
 */
async function activeRecalls(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    const body = (await res.json()) as { activeRecalls?: unknown; router?: { activeRecalls?: unknown } };
    const n = body.activeRecalls ?? body.router?.activeRecalls;
    return typeof n === 'number' ? n : -1;
  } catch {
    return -1;
  }
}

export async function runSurgeBench({
  config,
  rate = 100,
  phaseSeconds = 60,
  warmupSeconds = 10,
  surgeFactor = 10,
  consumerCounts = [1, 4],
  deployment = 'split',
  startConsumers,
  progress = () => {},
  signal,
}: SurgeBenchOptions): Promise<SurgeBenchResult> {
  const tStart = Date.now();
  const kafka = createKafka({ ...kafkaConnection(config), clientId: 'unitrail-bench-surge' });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const running: Running[] = [];
  const scratch: { drop: () => Promise<void> }[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const loadAtStart = os.loadavg()[0]!;
  const runId = crypto.randomBytes(4).toString('hex');
  const recallId = `BENCH-SURGE-${runId.toUpperCase()}`;
  // Consumer groups of this run's own, so other runs on the same stack (tests, a demo) neither
  // take our records nor hand us theirs to write; each starts at its topics' end.
  const groupOf = (stage: string) => `bench-surge.${runId}.${stage}`;
  const raw = [topics.rawMes.name, topics.rawWms.name, topics.rawTms.name, topics.rawEpcis.name];
  const upstream: Record<string, string[]> =
    deployment === 'fused'
      ? { [FUSED_STAGE]: raw }
      : {
          validator: raw,
          deduplicator: [topics.validated.name],
          enricher: [topics.unique.name],
          router: [topics.enriched.name],
        };
  const inputs: Record<string, string[]> = {
    ...upstream,
    ...(deployment === 'fused' ? {} : { 'journey-sink': [topics.journey.name] }),
    [SURGE_STAGE]: [topics.journeySurge.name],
  };
  // The process whose /healthz says how many recalls the router routes.
  const routing = deployment === 'fused' ? FUSED_STAGE : 'router';
  const guard: Guard = () => {
    if (signal?.aborted) throw new UnitrailError('BENCH_ABORTED', 'stopped');
    for (const r of running) {
      const f = r.failure?.();
      if (f) throw new UnitrailError('BENCH_STAGE_FAILED', f);
    }
  };
  try {
    await ensureTopics(kafka);
    await codec.registerAll();
    const db = await scratchDatabase(
      config.databaseUrl,
      `unitrail_bench_surge_${crypto.randomBytes(3).toString('hex')}`,
    );
    scratch.push(db);
    await loadMasterdata(db.pool, kafka, codec, demoMasterdata());
    const env = { DATABASE_URL: db.url };

    progress(
      `bench surge: ${deployment} pipeline on ${databaseName(db.url)}, groups ${groupOf('*')}; normal ${rate}/s, surge ${surgeFactor * rate}/s, ${phaseSeconds} s per phase`,
    );
    await startGroupsAtEnd(
      kafka,
      Object.fromEntries(Object.entries(inputs).map(([stage, t]) => [groupOf(stage), t])),
    );
    // The router's health says how many recalls it routes: the surge starts once it has ours.
    const routerPort = await freePort();
    for (const stage of deployment === 'fused' ? [FUSED_STAGE] : PIPELINE) {
      const own = stage === routing ? { ...env, METRICS_PORT: String(routerPort) } : env;
      running.push(startConsumers(stage, 1, groupOf(stage), own));
    }
    const maxConsumers = Math.max(...consumerCounts);
    const liveSurge = startConsumers(SURGE_STAGE, maxConsumers, groupOf(SURGE_STAGE), env);
    running.push(liveSurge);
    for (const stage of Object.keys(inputs)) {
      await waitUntil(`${stage} to join`, 120_000, async () => (await members(kafka, groupOf(stage))) > 0, {
        guard,
      });
    }

    const seedBase = crypto.randomInt(1, 2 ** 30);
    const perPhase = rate * phaseSeconds;
    const normal = generateDemo({ events: rate * warmupSeconds + 2 * perPhase, seed: seedBase });
    const surgeLot = `LSURGE${seedBase.toString(36).toUpperCase()}`;
    const surge = surgeRecords({
      count: surgeFactor * rate * phaseSeconds,
      seed: seedBase + 1,
      lot: surgeLot,
    });
    const partitionsOf = await withAdmin(kafka, async (admin) => {
      const meta = await admin.fetchTopicMetadata({
        topics: [topics.rawMes.name, topics.rawWms.name, topics.rawTms.name],
      });
      return new Map(meta.topics.map((t) => [t.name, t.partitions]));
    });

    const sent = new Map<string, number>();
    const phaseOf = new Map<string, 'before' | 'during'>();
    let phase: 'warmup' | 'before' | 'during' = 'warmup';
    let normalNext = 0;
    // One continuous normal stream across the phases; each phase paces its own slice of it.
    const normalPhase = async (seconds: number, extra: PacedSource[] = []) => {
      const source: PacedSource = {
        records: normal.slice(normalNext),
        rate,
        next: 0,
        onSent: (lineage, at) => {
          sent.set(lineage, at);
          if (phase !== 'warmup') phaseOf.set(lineage, phase);
        },
      };
      await pace(kafka, codec, partitionsOf, [source, ...extra], seconds, guard);
      normalNext += source.next;
    };

    progress(`bench surge: warm-up ${warmupSeconds} s`);
    await normalPhase(warmupSeconds);
    phase = 'before';
    progress(`bench surge: normal flow ${phaseSeconds} s`);
    await normalPhase(phaseSeconds);

    // Declare the recall: the router follows ut.recalls.v1 and routes its scope within a second.
    const surgeStart = await endOffsets(kafka, topics.journeySurge.name);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const recall = surgeRecall(recallId, surgeLot);
    const publish = async (value: Recall) =>
      producer.send({
        topic: topics.recalls.name,
        acks: -1,
        messages: [{ key: recallId, value: await codec.encode(topics.recalls.name, value) }],
      });
    const activeBefore = await activeRecalls(routerPort);
    await publish(recall);
    const tRecall = Date.now();
    if (activeBefore < 0)
      await sleep(3000); // a router that does not say: give it time
    else
      await waitUntil(
        'the router to pick the recall up',
        60_000,
        async () => (await activeRecalls(routerPort)) > activeBefore,
        { guard },
      );
    progress(`bench surge: the router routes recall ${recallId} after ${Date.now() - tRecall} ms`);
    phase = 'during';
    progress(
      `bench surge: recall ${recallId} declared; normal flow + ${surgeFactor}× surge for ${phaseSeconds} s`,
    );
    const surgeSource: PacedSource = { records: surge, rate: surgeFactor * rate, next: 0 };
    // Closed once the pipeline has passed every record on (below), or on the way out: a recall
    // closed earlier would send its last records, still on their way, to the normal flow.
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await publish({ ...recall, status: 'closed', closedAt: Date.now() }).catch(() => {});
      await producer.disconnect();
    };
    cleanups.push(close);
    await normalPhase(phaseSeconds, [surgeSource]);

    // Every normal record landed (matched by lineage: rows of other runs' records do not count),
    // and the live surge consumers are through the surge.
    progress(
      `bench surge: waiting for the normal flow (${sent.size} records) and the surge (${surgeSource.next}) to land`,
    );
    const latencies = { before: [] as number[], during: [] as number[] };
    let lastSaid = Date.now();
    await waitUntil(
      'every normal record to land',
      300_000,
      async () => {
        const rows = await db.pool.query<{ lineage: string; at: number }>(
          'SELECT lineage, extract(epoch FROM inserted_at) * 1000 AS at FROM ut.events',
        );
        const mine = rows.rows.filter((r) => sent.has(r.lineage));
        if (mine.length < sent.size) {
          if (Date.now() - lastSaid > 10_000) {
            lastSaid = Date.now();
            const landed = new Set(mine.map((r) => r.lineage));
            const missing = [...sent.keys()].filter((l) => !landed.has(l));
            progress(
              `bench surge: ${mine.length} of ${sent.size} normal records landed; not yet e.g. ${missing.slice(0, 3).join(', ')}`,
            );
          }
          return false;
        }
        for (const r of mine) {
          const p = phaseOf.get(r.lineage);
          if (p) latencies[p].push(Number(r.at) - sent.get(r.lineage)!);
        }
        return true;
      },
      { everyMs: 1000, guard },
    );
    // and every surge record is through the router (they trail the normal flow's last records)
    await waitUntil(
      'the pipeline to pass every record on',
      300_000,
      async () => {
        for (const [stage, from] of Object.entries(upstream)) {
          if ((await groupLag(kafka, groupOf(stage), from)) > 0) return false;
        }
        return true;
      },
      { everyMs: 1000, guard },
    );
    await close();
    const surgeEnd = await endOffsets(kafka, topics.journeySurge.name);
    await waitUntil(
      'the live surge consumers to drain the surge',
      300_000,
      () => caughtUp(kafka, groupOf(SURGE_STAGE), topics.journeySurge.name, surgeEnd),
      { guard },
    );
    const surgeOnTopic = [...surgeEnd].reduce((n, [p, end]) => n + end - (surgeStart.get(p) ?? 0), 0);

    // Drains: the same surge, from its first offset, into a fresh database each time.
    await liveSurge.stop();
    running.splice(running.indexOf(liveSurge), 1);
    const drain: DrainResult[] = [];
    for (const n of consumerCounts) {
      const target = await scratchDatabase(
        config.databaseUrl,
        `unitrail_bench_drain${n}_${crypto.randomBytes(3).toString('hex')}`,
      );
      scratch.push(target);
      const group = groupOf(`drain${n}`);
      await withAdmin(kafka, (admin) =>
        admin.setOffsets({
          groupId: group,
          topic: topics.journeySurge.name,
          partitions: [...surgeEnd.keys()].map((p) => ({
            partition: p,
            offset: String(surgeStart.get(p) ?? 0),
          })),
        }),
      );
      progress(`bench surge: draining ${surgeOnTopic} surge records with ${n} consumer${n > 1 ? 's' : ''}`);
      const t0 = Date.now();
      const consumers = startConsumers(SURGE_STAGE, n, group, { DATABASE_URL: target.url });
      running.push(consumers);
      const waits = sampleWaits(target.pool);
      let joinedAt = 0;
      await waitUntil(
        `${n} consumers to drain the surge`,
        600_000,
        async () => {
          if (!joinedAt && (await members(kafka, group)) >= n) joinedAt = Date.now();
          return caughtUp(kafka, group, topics.journeySurge.name, surgeEnd);
        },
        { guard },
      );
      const seconds = (Date.now() - t0) / 1000;
      const sinkWaits = await waits.stop();
      await consumers.stop();
      running.splice(running.indexOf(consumers), 1);
      drain.push({
        consumers: n,
        events: surgeOnTopic,
        seconds: Number(seconds.toFixed(1)),
        join_seconds: Number((((joinedAt || Date.now()) - t0) / 1000).toFixed(1)),
        events_per_s: Math.round(surgeOnTopic / seconds),
        sink_waits: sinkWaits,
      });
      await target.drop();
      scratch.splice(scratch.indexOf(target), 1);
    }
    const before = summarize(latencies.before);
    const during = summarize(latencies.during);
    const fewest = drain.reduce((a, b) => (b.consumers < a.consumers ? b : a), drain[0]!);
    const most = drain.reduce((a, b) => (b.consumers > a.consumers ? b : a), drain[0]!);
    return {
      bench: 'surge',
      deployment,
      cores: os.cpus().length,
      load_average_at_start: Number(loadAtStart.toFixed(2)),
      rate,
      surge_rate: surgeFactor * rate,
      phase_seconds: phaseSeconds,
      normal_before: before,
      normal_during: during,
      p99_ratio: Number((during.p99_ms / before.p99_ms).toFixed(2)),
      surge_events_produced: surgeSource.next,
      surge_events_on_topic: surgeOnTopic,
      drain,
      drain_ratio: drain.length > 1 ? Number((most.seconds / fewest.seconds).toFixed(2)) : null,
      total_seconds: Math.round((Date.now() - tStart) / 1000),
    };
  } finally {
    for (const c of cleanups) await c().catch(() => {});
    for (const r of running.reverse()) await r.stop().catch(() => {});
    for (const s of scratch) await s.drop().catch(() => {});
  }
}

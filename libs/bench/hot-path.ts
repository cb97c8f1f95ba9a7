/**
 * `unitrail bench hot-path`: the CPU of the fused path's JavaScript that needs no Kafka and no
 * database, per event, in one process with the pipeline process's Node flags
 * (benchHotPathAsPipeline): the validator's mapping of a source record to its canonical event
 * (`normalize`: the adapter, EPCIS, the event hash), and the journey sink's preparation of a batch
 * (`prepareBatch`: the COPY rows) with the chain's row hashes. A change to either shows here
 * when it is below what a whole `unitrail bench` can tell apart on a shared box (issue 12,
 * docs/capacity.md): the whole bench's events per second varied by a fifth between runs of one build.
 *
 * The records are the demo stream's (the pipeline bench's generator), all valid. Each round maps
 * them all, then prepares them in batches of 500 (the sink's batch); the first rounds warm the
 * optimiser up and are not counted. Figures are CPU µs (user + system) per event; the median is the
 * one to quote, min and max say how noisy the box was.
 */
import { spawnSync } from 'node:child_process';
import { generateDemo } from '../demo';
import { UnitrailError } from '../errors';
import { cliEntry, nodeFlagsOf } from '../supervisor';
import type { SerializationEvent } from '../events';
import { normalize } from '../sources';
import { prepareBatch, rowHash } from '../store';
import { ownCpuMicros } from './cpu';
import { loadAverage } from './pipeline';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface HotPathResult {
  events: number;
  rounds: number;
  warmupRounds: number;
  /** The validator's normalize, per source record. */
  normalizeUsPerEvent: Spread;
  /** The sink's prepareBatch and the chain's row hash, per event. */
  prepareBatchUsPerEvent: Spread;
  load_average: [number, number, number];
  /** Node's flags of the process that measured (the fused pipeline's: benchHotPathAsPipeline). */
  node_flags?: string[];
}

const SINK_BATCH = 500;

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('no values to spread');
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number) => Number(v.toFixed(2));
  return {
    median: round(sorted[sorted.length >> 1]!),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
  };
}

export function benchHotPath({
  events = 20_000,
  rounds = 15,
  warmupRounds = 5,
  seed = 42,
}: { events?: number; rounds?: number; warmupRounds?: number; seed?: number } = {}): HotPathResult {
  if (rounds <= warmupRounds)
    throw new Error(`rounds (${rounds}) must be more than the ${warmupRounds} warm-up rounds`);
  const records = generateDemo({ events, seed }).filter((r) => !Buffer.isBuffer(r.value));
  const normalizeAll = (): SerializationEvent[] =>
    records.map((r, offset) =>
      normalize(r.topic, r.value, { topic: r.topic, partition: 0, offset, schemaId: 1 }),
    );
  let hashed = 0;
  const normalizeUs: number[] = [];
  const prepareUs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let start = process.cpuUsage();
    const canonical = normalizeAll();
    const normalizeRound = ownCpuMicros(start) / records.length;
    start = process.cpuUsage();
    for (let i = 0; i < canonical.length; i += SINK_BATCH) {
      const batch = prepareBatch(
        canonical
          .slice(i, i + SINK_BATCH)
          .map((event) => ({ event, recallId: null, originTs: event.eventTime })),
      );
      for (const e of batch.events) hashed += rowHash(e.eventId, e.text).length;
    }
    const prepareRound = ownCpuMicros(start) / canonical.length;
    if (round >= warmupRounds) {
      normalizeUs.push(normalizeRound);
      prepareUs.push(prepareRound);
    }
  }
  if (hashed === 0) throw new Error('bench hot-path prepared no events');
  return {
    events: records.length,
    rounds,
    warmupRounds,
    normalizeUsPerEvent: spread(normalizeUs),
    prepareBatchUsPerEvent: spread(prepareUs),
    load_average: loadAverage(),
  };
}

/**
 * benchHotPath in a process with the fused pipeline process's Node flags (nodeFlagsOf('pipeline'):
 * 64 MB semi-spaces), so the figures are that process's: with Node's default young generation the
 * same build measured prepareBatch at 35-37 us an event, with the pipeline's 20-23 (the batch's
 * rows and record texts outlive a scavenge of 16 MB; issue 12, docs/capacity.md). This process when
 * it runs with those flags already, else a child `unitrail bench hot-path` started with them.
 */
export function benchHotPathAsPipeline({
  events,
  rounds,
}: {
  events: number;
  rounds: number;
}): HotPathResult {
  const flags = nodeFlagsOf('pipeline', {});
  if (flags.every((f) => process.execArgv.includes(f)))
    return { ...benchHotPath({ events, rounds }), node_flags: flags };
  const args = [
    ...flags,
    cliEntry(),
    'bench',
    'hot-path',
    '--events',
    String(events),
    '--rounds',
    String(rounds),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    const why = child.error?.message ?? child.stderr?.trim().split('\n').pop() ?? `exit ${child.status}`;
    throw new UnitrailError(
      'BENCH_FAILED',
      `bench hot-path: its process with ${flags.join(' ')} failed: ${why}`,
    );
  }
  return JSON.parse(line) as HotPathResult;
}

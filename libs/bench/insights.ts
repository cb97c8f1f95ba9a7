/**
 * `unitrail bench insights`: the incident model's evaluation (docs/exceptions.md) on the fault demo
 * of several seeds, end to end on the local stack. Each run: a fresh database, the local stack's
 * seen-set cleared (the same seed again would otherwise be all duplicates), `unitrail demo` as a
 * person runs it, then insights and the ablation (libs/incidents) on what the stages wrote.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import type { Config } from '../config';
import { UnitrailError } from '../errors';
import { createKafka, kafkaConnection } from '../kafka';
import { seenSetPrefix } from '../seenset';
import { stackUp } from '../stack';
import { databaseName, dropDatabase, scratchDatabase } from '../store';
import { parseFaults } from '../demo';
import { cliEntry } from '../supervisor';
import { ablation, insights, loadHistory, type Bootstrap } from '../incidents';
import { HISTORY_BUCKET_MS } from '../devices';

/** One run's figures: what a row of docs/exceptions.md's table holds. */
export interface InsightsRun {
  seed: number;
  events: number;
  cases: number;
  windowHours: number | null;
  test: { samples: number; positives: number } | null;
  auc: { model: number | null; baseline: number | null; idleRule: number | null } | null;
  /** The model's AUC over the baseline's (and the idle rule's): the bootstrap's gain and 5th percentile. */
  gain: { difference: number; low: number } | null;
  overIdleRule: { difference: number; low: number } | null;
  verdict: 'beats' | 'does not beat' | 'too few test incidents' | 'no evaluation';
  /** The model's test AUC refitted without each feature group (libs/incidents featureGroups). */
  without: Record<string, number | null>;
  /** The full model's AUC over each refit's: the bootstrap's 5th percentile (above 0: the group carries gain). */
  lossLow: Record<string, number | null>;
  /**
   * Each refit's AUC over the baseline's: the bootstrap's gain and 5th percentile, as `gain` is for
   * the full model (5th percentile above 0: without the group the model would beat the baseline too).
   */
  withoutGain: Record<string, { difference: number; low: number } | null>;
  byRiskIfWorking: string[];
  /**
   * Each device's test windows with an incident: how many, how many while idle, and the model's and
   * the baseline's part of the AUC on them (libs/incidents DeviceTest): which positives are missed.
   */
  devices: Record<string, { positives: number; idle: number; model: number | null; baseline: number | null }>;
  demoSeconds: number;
  load: number;
}

export interface InsightsBench {
  summary: true;
  runs: number;
  beats: number;
  events: number;
  seeds: number[];
  faults: string;
  /** The last run's database, kept for a look at its cases (dropped by the next bench). */
  database: string;
  seconds: number;
  loadStart: number[];
  loadEnd: number[];
}

const round = (x: number | null | undefined) => (x === null || x === undefined ? null : Number(x.toFixed(3)));
const bootstrapOf = (b: Bootstrap | null) => b && { difference: round(b.difference)!, low: round(b.low)! };
const load1 = () => Number(loadavg()[0]!.toFixed(2));

/** Deletes the local stack's seen-set (its claims, duplicate marks and counts): a fresh dedup state. */
async function clearSeenSet(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** `unitrail demo` in a process of its own, on `databaseUrl`; its last stdout line (the accounts). */
async function runDemoProcess(databaseUrl: string, args: string[]): Promise<{ balanced: boolean }> {
  const r = await promisify(execFile)(process.execPath, [cliEntry(), 'demo', ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: Error & { stderr?: string }) => {
    const last = (err.stderr ?? '').trim().split('\n').at(-1) ?? err.message;
    throw new UnitrailError(
      'BENCH_DEMO_FAILED',
      `bench insights: unitrail demo ${args.join(' ')} failed: ${last}`,
    );
  });
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { balanced: boolean };
}

/** Insights and the ablation on one demo database, as one line of the bench. */
export function judgeRun(
  history: Awaited<ReturnType<typeof loadHistory>>,
  { seed, events, now }: { seed: number; events: number; now: number },
): Omit<InsightsRun, 'demoSeconds' | 'load'> {
  const { rows, ...state } = history;
  const r = insights(rows, { ...state, now });
  const a = ablation(rows, { ...state, now });
  const e = r.evaluation;
  return {
    seed,
    events,
    cases: r.incidents,
    windowHours: e?.windowHours ?? null,
    test: e?.test ?? null,
    auc: e && {
      model: round(e.model.auc),
      baseline: round(e.baseline.auc),
      idleRule: round(e.idleBaseline.auc),
    },
    gain: bootstrapOf(e?.overBaseline ?? null),
    overIdleRule: bootstrapOf(e?.overIdleBaseline ?? null),
    verdict: !e
      ? 'no evaluation'
      : e.beatsBaseline
        ? 'beats'
        : e.verdict.startsWith('not enough')
          ? 'too few test incidents'
          : 'does not beat',
    without: Object.fromEntries((a?.dropped ?? []).map((d) => [d.group, round(d.auc)])),
    lossLow: Object.fromEntries((a?.dropped ?? []).map((d) => [d.group, round(d.loss?.low)])),
    withoutGain: Object.fromEntries((a?.dropped ?? []).map((d) => [d.group, bootstrapOf(d.overBaseline)])),
    byRiskIfWorking: r.byRiskIfWorking,
    devices: Object.fromEntries(
      (a?.devices ?? []).map((d) => [
        d.device,
        { positives: d.positives, idle: d.idlePositives, model: round(d.model), baseline: round(d.baseline) },
      ]),
    ),
  };
}

export async function benchInsights(
  {
    config,
    events,
    seeds,
    faults,
  }: {
    config: Config;
    events: number;
    seeds: readonly number[];
    faults: string;
  },
  onRun: (run: InsightsRun) => void,
  progress: (line: string) => void,
): Promise<InsightsBench> {
  parseFaults(faults); // a bad spec is refused before anything starts
  const t0 = Date.now();
  const loadStart = loadavg().map((l) => Number(l.toFixed(2)));
  const database = `${databaseName(config.databaseUrl)}_bench_insights`;
  await stackUp({});
  const prefix = await seenSetPrefix(createKafka(kafkaConnection(config)));
  const redis = new Redis(config.redisUrl);
  let beats = 0;
  try {
    for (const seed of seeds) {
      const load = load1();
      await dropDatabase(config.databaseUrl, database);
      const db = await scratchDatabase(config.databaseUrl, database);
      try {
        await clearSeenSet(redis, prefix);
        progress(`bench insights: seed ${seed}, ${events} records (database ${database}, load ${load})`);
        const tDemo = Date.now();
        const args = ['--events', String(events), '--faults', faults, '--seed', String(seed)];
        const demo = await runDemoProcess(db.url, [...args, '--dup-rate', '0.05', '--invalid-rate', '0.01']);
        if (!demo.balanced)
          throw new UnitrailError(
            'BENCH_DEMO_UNBALANCED',
            `bench insights: the demo of seed ${seed} did not account for every record; see the stage logs`,
          );
        const demoSeconds = Number(((Date.now() - tDemo) / 1000).toFixed(1));
        const history = await loadHistory(db.pool, { bucketMs: HISTORY_BUCKET_MS });
        const run = { ...judgeRun(history, { seed, events, now: Date.now() }), demoSeconds, load };
        if (run.verdict === 'beats') beats++;
        onRun(run);
      } finally {
        await db.pool.end();
      }
    }
  } finally {
    redis.disconnect();
  }
  return {
    summary: true,
    runs: seeds.length,
    beats,
    events,
    seeds: [...seeds],
    faults,
    database,
    seconds: Number(((Date.now() - t0) / 1000).toFixed(1)),
    loadStart,
    loadEnd: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

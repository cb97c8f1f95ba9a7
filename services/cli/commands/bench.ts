/** `unitrail bench ...`: each benchmark is in libs/bench; these commands read flags and print its JSON line. */
import path from 'node:path';
import type { Command, CommandInput } from '../command';
import { optChoice, optNames, optNumber, optString, readInput, say } from '../command';
import { loadConfig, type Config } from '../../../libs/config';
import {
  benchConsoleOnStack,
  benchDevices,
  benchEpcisQuery,
  benchHash,
  benchHotPathAsPipeline,
  benchInsights,
  benchPipelineOnStack,
  benchProduceEncoding,
  benchQueries,
  benchQueriesBeside,
  benchRecallReport,
  benchSubscriptionsOnStack,
  benchStoreUrl,
  parseCpuProfile,
  summarizeCpuProfile,
  withBenchStore,
  pipelineDeployments,
  runSinkBench,
  runSurgeBench,
  supervisedConsumers,
  type BesideResult,
  type QueryBenchResult,
} from '../../../libs/bench';
import { UsageError } from '../../../libs/errors';
import { detectorSettingsOf } from '../../../libs/devices';
import { fusedPipeline, stageGroups, stageNames, startCaptureApi, startConsole } from '../../stages';

/** `bench WORD`: measures, prints the result as one JSON line; exit 1 when `passed` says the run failed. */
const bench = <T>(
  word: string,
  summary: string,
  usage: string,
  measure: (input: CommandInput, config: Config) => T | Promise<T>,
  passed: (result: T) => boolean = () => true,
): Command => ({
  name: word ? `bench ${word}` : 'bench',
  summary,
  usage,
  async run(input) {
    const result = await measure(input, loadConfig());
    console.log(JSON.stringify(result));
    return passed(result) ? 0 : 1;
  },
});
const logsOf = (config: Config) => path.join(config.stateDir, 'logs', 'bench');

/** Aborts on SIGINT/SIGTERM, so a long bench stops its stages, consumers and scratch databases. */
function stopOnSignal(what: string): AbortSignal {
  const aborted = new AbortController();
  const onSignal = () => (say(`${what}: stopping (stages, consumers, scratch databases)`), aborted.abort());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return aborted.signal;
}

/**
 * `bench queries --beside split|fused`: times the queries on a kept store (it needs --reuse, and
 * builds nothing: a store built while the pipeline drains would be timed on a warm box); --backlog
 * only with it, --events only without.
 */
export function besideOf(input: CommandInput): 'split' | 'fused' | undefined {
  const beside = optChoice<'split' | 'fused'>(input, 'beside', ['split', 'fused']);
  if (beside === undefined) {
    if (input.values.backlog !== undefined) throw new UsageError('--backlog goes with --beside split|fused');
    return undefined;
  }
  if (input.values.reuse !== true)
    throw new UsageError(
      '--beside times the queries on a kept store: add --reuse (build the store first without --beside)',
    );
  if (input.values.events !== undefined)
    throw new UsageError(
      '--events builds a store; with --beside the store is kept (--reuse): give --backlog N',
    );
  return beside;
}

/** The deployments a bench can run, each with its stages' log files under the state dir. */
const deploymentsOf = (config: Config) =>
  pipelineDeployments({
    logDir: logsOf(config),
    stages: stageNames,
    fused: [fusedPipeline.name, ...fusedPipeline.alongside],
    groups: stageGroups,
  });

export const benchCommands: Command[] = [
  bench(
    '',
    'Events/s, p50/p99 latency and CPU µs per event of each deployment, beside Kafka and PostgreSQL raw rates',
    '[--events N] [--latency-seconds S] [--deployments split[,fused][,fused2]]',
    (input, config) => {
      const known = deploymentsOf(config);
      return benchPipelineOnStack({
        config,
        events: optNumber(input, 'events', 50_000, { min: 1000 }),
        latencySeconds: optNumber(input, 'latency-seconds', 20, { min: 0.001, integer: false }),
        deployments: optNames(input, 'deployments', 'split', Object.keys(known)).map((n) => known[n]!),
        progress: say,
      });
    },
  ),
  bench(
    'sink',
    "The journey sink's write alone on a scratch database: events/s, rows and CPU µs per event",
    '[--events N] [--batch N] [--concurrency N]',
    (input, config) =>
      runSinkBench({
        baseUrl: config.databaseUrl,
        events: optNumber(input, 'events', 20000, { min: 100 }),
        batchSize: optNumber(input, 'batch', 500, { min: 1 }),
        concurrency: optNumber(input, 'concurrency', 3, { min: 1 }),
        progress: say,
      }),
  ),
  bench(
    'queries',
    'Build a journey store of N events (database unitrail_bench) and print p50/p99 of the journey and lot queries; --beside: while a deployment of the pipeline drains a backlog of its own on this box',
    '[--events N] [--reuse] [--runs N] [--database NAME] [--beside split|fused] [--backlog N]',
    (input, config): Promise<QueryBenchResult | BesideResult> => {
      const url = benchStoreUrl(config.databaseUrl, optString(input, 'database'));
      const journeyRuns = optNumber(input, 'runs', 500, { min: 200 });
      const beside = besideOf(input);
      if (beside) {
        const known = deploymentsOf(config);
        return benchQueriesBeside({
          config,
          deployment: known[beside]!,
          storeUrl: url,
          backlog: optNumber(input, 'backlog', 100_000, { min: 1000, max: 2_000_000 }),
          journeyRuns,
          progress: say,
        });
      }
      return benchQueries({
        url,
        events: optNumber(input, 'events', 10_000_000, { min: 20_000, max: 200_000_000 }),
        reuse: input.values.reuse === true,
        journeyRuns,
        progress: say,
      });
    },
  ),
  bench(
    'produce-encoding',
    'CPU µs per record that kafkajs spends building a Produce request (no broker): batches of 1, 50 and 500 records of 400 and 2,000 bytes',
    '',
    () => benchProduceEncoding(),
  ),
  bench(
    'epcis-query',
    'Time MATCH_anyEPC for one unit and bizStep + bizLocation + a day (first page of 100) on the store `bench queries` built',
    '[--database NAME] [--runs N]',
    async (input, config) => {
      const runs = optNumber(input, 'runs', 300, { min: 100 });
      const database = optString(input, 'database') ?? 'unitrail_bench';
      const timed = await withBenchStore(config.databaseUrl, database, (pool) =>
        benchEpcisQuery({ pool, runs }),
      );
      return { database, ...timed };
    },
  ),
  bench(
    'recall-report',
    'Time the affected-units report for one lot on the bench store (database unitrail_bench, built by bench queries); JSON line',
    '[--lot L] [--runs N] [--database NAME]',
    (input, config) => {
      const runs = optNumber(input, 'runs', 5, { min: 1, max: 100 });
      const lot = optString(input, 'lot');
      return withBenchStore(config.databaseUrl, optString(input, 'database'), (pool) =>
        benchRecallReport({ pool, lot, runs, progress: say }),
      );
    },
  ),
  bench(
    'profile',
    "Sum a V8 CPU profile (a stage's .cpuprofile, UNITRAIL_CPU_PROF_DIR): each function's share of the busy samples, self and inclusive, and the busy share of each second (JSON line)",
    'FILE [--top N]',
    (input) => {
      const file = input.positionals[0]!;
      const profile = parseCpuProfile(readInput(file).toString('utf8'), file);
      return summarizeCpuProfile(profile, optNumber(input, 'top', 40, { min: 1, max: 10_000 }));
    },
  ),
  bench(
    'hash',
    'Measure EPCIS Event Hash IDs per CPU second over a realistic mix of events (one core)',
    '[--events N]',
    (input) => {
      const events = optNumber(input, 'events', 200_000, { min: 1 });
      const { seconds, eventsPerSecond, wallSeconds } = benchHash({ events });
      return { events, seconds, eventsPerSecond, wallSeconds };
    },
  ),
  bench(
    'hot-path',
    "CPU µs per event of the fused path's JavaScript that needs no Kafka and no database: the validator's normalize, the sink's prepareBatch with the chain's row hashes (one core, in a process with the pipeline process's Node flags; JSON line)",
    '[--events N] [--rounds R]',
    (input) =>
      benchHotPathAsPipeline({
        events: optNumber(input, 'events', 20_000, { min: 100, max: 1_000_000 }),
        rounds: optNumber(input, 'rounds', 15, { min: 6, max: 1_000 }),
      }),
  ),
  bench(
    'surge',
    'Steady demo load, then a recall adding 10× that load on the surge topic: normal-flow p99 before/during, surge drain time with 1 and 4 consumers (JSON line)',
    '[--rate EVENTS_PER_S] [--seconds S] [--surge-factor F] [--consumers LIST] [--deployment split|fused]',
    (input, config) =>
      runSurgeBench({
        config,
        rate: optNumber(input, 'rate', 100, { min: 1, max: 100_000 }),
        phaseSeconds: optNumber(input, 'seconds', 60, { min: 5, max: 600 }),
        surgeFactor: optNumber(input, 'surge-factor', 10, { min: 1, max: 100 }),
        consumerCounts: optNames(input, 'consumers', '1,4', [], { min: 1, max: 64 }).map(Number),
        deployment: optChoice<'split' | 'fused'>(input, 'deployment', ['split', 'fused'], 'split'),
        startConsumers: supervisedConsumers(logsOf(config)),
        progress: say,
        signal: stopOnSignal('bench surge'),
      }),
  ),
  bench(
    'console',
    'Event to screen: a record produced → the console live feed shows it; p50/p99 over N records, one at a time (JSON line)',
    '[--events N]',
    (input, config) =>
      benchConsoleOnStack({
        config,
        stages: stageNames,
        startConsole,
        events: optNumber(input, 'events', 30, { min: 1, max: 10_000 }),
        progress: say,
      }),
    (result) => result.timeouts === 0,
  ),
  bench(
    'devices',
    'Device-health detectors on the demo floor of many seeds, no stack: faults missed, false alarms, delays',
    '[--events N] [--seeds N] [--first-seed S] [--faults SPEC]',
    (input, config) =>
      benchDevices(
        {
          events: optNumber(input, 'events', 20_000, { min: 1000, max: 200_000 }),
          seeds: optNumber(input, 'seeds', 30, { min: 1, max: 10_000 }),
          firstSeed: optNumber(input, 'first-seed', 1, { min: 0, max: 2 ** 31 - 1 }),
          faults: optString(input, 'faults') ?? 'default',
          settings: detectorSettingsOf(config),
        },
        (seed) => say(`bench devices: seed ${seed} done`),
      ),
    (result) => result.missed === 0 && result.falseAlarmsClean === 0,
  ),
  bench(
    'insights',
    'The incident model on the fault demo of each seed (fresh database, unitrail demo, incidents insights): one JSON line per run with the ablation, then a summary',
    '[--events N] [--seeds S1,S2,..] [--faults SPEC]',
    (input, config) =>
      benchInsights(
        {
          config,
          events: optNumber(input, 'events', 50_000, { min: 1000, max: 200_000 }),
          seeds: optNames(input, 'seeds', '3,7,11,625084555', [], { min: 0, max: 2 ** 31 - 1 }).map(Number),
          faults: optString(input, 'faults') ?? 'default',
        },
        (run) => console.log(JSON.stringify(run)),
        say,
      ),
  ),
  bench(
    'subscriptions',
    'Capture → webhook and WebSocket subscriber: delay p50/p95/p99/max over N events one at a time, each delivered exactly once (JSON line)',
    '[--events N] [--interval-ms MS]',
    (input, config) =>
      benchSubscriptionsOnStack({
        config,
        stages: stageNames,
        startCaptureApi,
        events: optNumber(input, 'events', 200, { min: 1, max: 100_000 }),
        intervalMs: optNumber(input, 'interval-ms', 250, { min: 0, max: 60_000 }),
        progress: say,
      }),
    (result) => result.failure === null || (say(`bench subscriptions: ${result.failure}`), false),
  ),
];

/** `unitrail bench ...`: each benchmark is in libs/bench; these commands read flags and print its JSON line. */
import path from 'node:path';
import type { Command } from '../command';
import { optNames, optNumber, optString, say, stringOptions as opts } from '../command';
import { loadConfig } from '../../../libs/config';
import {
  benchConsoleOnStack,
  benchEpcisQuery,
  benchHash,
  benchPipelineOnStack,
  benchQueries,
  benchRecallReport,
  benchSubscriptionsOnStack,
  benchStoreUrl,
  withBenchStore,
  pipelineDeployments,
  runSinkBench,
  runSurgeBench,
  supervisedConsumers,
} from '../../../libs/bench';
import { fusedPipeline, stageNames, startCaptureApi, startConsole } from '../../stages';

const print = (result: unknown) => (console.log(JSON.stringify(result)), 0);

export const benchCommands: Command[] = [
  {
    name: 'bench',
    summary:
      'Events/s, p50/p99 latency and CPU µs per event of each deployment, beside Kafka and PostgreSQL raw rates',
    usage: '[--events N] [--latency-seconds S] [--deployments split[,fused]]',
    options: opts('events', 'latency-seconds', 'deployments'),
    async run(input) {
      const config = loadConfig();
      const known = pipelineDeployments({
        logDir: path.join(config.stateDir, 'logs', 'bench'),
        stages: stageNames,
        fused: [fusedPipeline.name, ...fusedPipeline.alongside],
      });
      return print(
        await benchPipelineOnStack({
          config,
          events: optNumber(input, 'events', 50_000, { min: 1000 }),
          latencySeconds: optNumber(input, 'latency-seconds', 20, { min: 0.001, integer: false }),
          deployments: optNames(input, 'deployments', 'split', Object.keys(known)).map((n) => known[n]!),
          progress: say,
        }),
      );
    },
  },
  {
    name: 'bench sink',
    summary: "The journey sink's write alone on a scratch database: events/s, rows and CPU µs per event",
    usage: '[--events N] [--batch N] [--concurrency N]',
    options: opts('events', 'batch', 'concurrency'),
    async run(input) {
      return print(
        await runSinkBench({
          baseUrl: loadConfig().databaseUrl,
          events: optNumber(input, 'events', 20000, { min: 100 }),
          batchSize: optNumber(input, 'batch', 500, { min: 1 }),
          concurrency: optNumber(input, 'concurrency', 3, { min: 1 }),
          progress: say,
        }),
      );
    },
  },
  {
    name: 'bench queries',
    summary:
      'Build a journey store of N events (database unitrail_bench) and print p50/p99 of the journey and lot queries',
    usage: '[--events N] [--reuse] [--runs N] [--database NAME]',
    options: { ...opts('events', 'runs', 'database'), reuse: { type: 'boolean' } },
    async run(input) {
      return print(
        await benchQueries({
          url: benchStoreUrl(loadConfig().databaseUrl, optString(input, 'database')),
          events: optNumber(input, 'events', 10_000_000, { min: 20_000, max: 200_000_000 }),
          reuse: input.values.reuse === true,
          journeyRuns: optNumber(input, 'runs', 500, { min: 200 }),
          progress: say,
        }),
      );
    },
  },
  {
    name: 'bench epcis-query',
    summary:
      'Time MATCH_anyEPC for one unit and bizStep + bizLocation + a day (first page of 100) on the store `bench queries` built',
    usage: '[--database NAME] [--runs N]',
    options: opts('database', 'runs'),
    async run(input) {
      const runs = optNumber(input, 'runs', 300, { min: 100 });
      const database = optString(input, 'database') ?? 'unitrail_bench';
      return print({
        database,
        ...(await withBenchStore(loadConfig().databaseUrl, database, (pool) =>
          benchEpcisQuery({ pool, runs }),
        )),
      });
    },
  },
  {
    name: 'bench recall-report',
    summary:
      'Time the affected-units report for one lot on the bench store (database unitrail_bench, built by bench queries); JSON line',
    usage: '[--lot L] [--runs N] [--database NAME]',
    options: opts('lot', 'runs', 'database'),
    async run(input) {
      const runs = optNumber(input, 'runs', 5, { min: 1, max: 100 });
      const lot = optString(input, 'lot');
      const url = loadConfig().databaseUrl;
      return print(
        await withBenchStore(url, optString(input, 'database'), (pool) =>
          benchRecallReport({ pool, lot, runs, progress: say }),
        ),
      );
    },
  },
  {
    name: 'bench hash',
    summary: 'Measure EPCIS Event Hash IDs per CPU second over a realistic mix of events (one core)',
    usage: '[--events N]',
    options: opts('events'),
    async run(input) {
      const events = optNumber(input, 'events', 200_000, { min: 1 });
      const { seconds, eventsPerSecond, wallSeconds } = benchHash({ events });
      return print({ events, seconds, eventsPerSecond, wallSeconds });
    },
  },
  {
    name: 'bench surge',
    summary:
      'Steady demo load, then a recall adding 10× that load on the surge topic: normal-flow p99 before/during, surge drain time with 1 and 4 consumers (JSON line)',
    usage: '[--rate EVENTS_PER_S] [--seconds S] [--surge-factor F] [--consumers LIST]',
    options: opts('rate', 'seconds', 'surge-factor', 'consumers'),
    async run(input) {
      const config = loadConfig();
      const aborted = new AbortController();
      const onSignal = () => (
        say('bench surge: stopping (stages, consumers, scratch databases)'),
        aborted.abort()
      );
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      return print(
        await runSurgeBench({
          config,
          rate: optNumber(input, 'rate', 100, { min: 1, max: 100_000 }),
          phaseSeconds: optNumber(input, 'seconds', 60, { min: 5, max: 600 }),
          surgeFactor: optNumber(input, 'surge-factor', 10, { min: 1, max: 100 }),
          consumerCounts: optNames(input, 'consumers', '1,4', [], { min: 1, max: 64 }).map(Number),
          startConsumers: supervisedConsumers(path.join(config.stateDir, 'logs', 'bench')),
          progress: say,
          signal: aborted.signal,
        }),
      );
    },
  },
  {
    name: 'bench console',
    summary:
      'Event to screen: a record produced → the console live feed shows it; p50/p99 over N records, one at a time (JSON line)',
    usage: '[--events N]',
    options: opts('events'),
    async run(input) {
      const events = optNumber(input, 'events', 30, { min: 1, max: 10_000 });
      const result = await benchConsoleOnStack({
        config: loadConfig(),
        stages: stageNames,
        startConsole,
        events,
        progress: say,
      });
      print(result);
      return result.timeouts === 0 ? 0 : 1;
    },
  },
  {
    name: 'bench subscriptions',
    summary:
      'Capture → webhook and WebSocket subscriber: delay p50/p95/p99/max over N events one at a time, each delivered exactly once (JSON line)',
    usage: '[--events N] [--interval-ms MS]',
    options: opts('events', 'interval-ms'),
    async run(input) {
      const events = optNumber(input, 'events', 200, { min: 1, max: 100_000 });
      const intervalMs = optNumber(input, 'interval-ms', 250, { min: 0, max: 60_000 });
      const run = { config: loadConfig(), stages: stageNames, startCaptureApi, events, intervalMs };
      const result = await benchSubscriptionsOnStack({ ...run, progress: say });
      print(result);
      return result.failure === null ? 0 : (say(`bench subscriptions: ${result.failure}`), 1);
    },
  },
];

/**
 * `unitrail bench`: end-to-end throughput, latency and CPU per event of each deployment of the
 * pipeline, beside Kafka's and PostgreSQL's raw rates from the same run (libs/bench/pipeline).
 */
import Redis from 'ioredis';
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { prepareStack, findJava, resolveKafkaJars, stackFiles, stackUp, stateDir } from '../../../libs/stack';
import { readPid } from '../../../libs/stack/processes';
import { seenSetPrefix } from '../../../libs/seenset';
import { runPipelineBench, runSinkBench, type Deployment } from '../../../libs/bench';
import path from 'node:path';
import { spawnStage } from '../../../libs/supervisor';
import { pipelineStages } from './pipeline';

const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The deployments a run can compare, by the name --deployments takes. To add one: a name and the
 * processes it starts (every one is counted in its CPU per event).
 */
function deploymentsOf(logDir: string): Record<string, Deployment> {
  return {
    // One process per stage, topics between them: the default of compose and deploy/k8s.
    split: { name: 'split', start: (env) => pipelineStages.map((s) => spawnStage(s, logDir, env)) },
    // `unitrail run pipeline` (validator → sink in one process), beside the consumer services that
    // stay on Kafka: the surge sink and the DLQ sink.
    fused: {
      name: 'fused',
      start: (env) => ['pipeline', 'journey-sink-surge', 'dlq-sink'].map((s) => spawnStage(s, logDir, env)),
    },
  };
}

const bench: Command = {
  name: 'bench',
  summary:
    'Events/s, p50/p99 latency and CPU µs per event of each deployment, beside Kafka and PostgreSQL raw rates',
  usage: '[--events N] [--latency-seconds S] [--deployments split[,fused]]',
  options: {
    events: { type: 'string' },
    'latency-seconds': { type: 'string' },
    deployments: { type: 'string' },
  },
  async run(input) {
    const events = Number(optString(input, 'events') ?? 50000);
    const latencySeconds = Number(optString(input, 'latency-seconds') ?? 20);
    if (!Number.isInteger(events) || events < 1000)
      throw new UsageError('--events must be a whole number ≥ 1000');
    if (!(latencySeconds > 0)) throw new UsageError('--latency-seconds must be a positive number');
    const config = loadConfig();
    const known = deploymentsOf(path.join(config.stateDir, 'logs', 'bench'));
    const names = (optString(input, 'deployments') ?? 'split').split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !known[n]);
    if (unknown.length > 0 || names.length === 0 || new Set(names).size !== names.length)
      throw new UsageError(
        `--deployments takes distinct names from ${Object.keys(known).join(', ')} (got ${names.join(',')})`,
      );

    await stackUp({});
    await prepareStack(config);
    const kafka = createKafka(kafkaConnection(config));
    const redis = new Redis(config.redisUrl);
    try {
      const result = await runPipelineBench({
        config,
        kafka,
        codec: createCodec({ url: config.schemaRegistryUrl }),
        redis,
        seenPrefix: await seenSetPrefix(kafka),
        deployments: names.map((n) => known[n]!),
        events,
        latencySeconds,
        brokerPid: readPid(stackFiles(stateDir()).pid('kafka')) ?? null,
        java: (await findJava()).bin,
        kafkaJarsDir: await resolveKafkaJars(),
        progress: say,
      });
      console.log(JSON.stringify(result));
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};

const benchSink: Command = {
  name: 'bench sink',
  summary: "The journey sink's write alone on a scratch database: events/s, rows and CPU µs per event",
  usage: '[--events N] [--batch N] [--concurrency N]',
  options: { events: { type: 'string' }, batch: { type: 'string' }, concurrency: { type: 'string' } },
  async run(input) {
    const whole = (flag: string, dflt: number, min: number) => {
      const v = Number(optString(input, flag) ?? dflt);
      if (!Number.isInteger(v) || v < min) throw new UsageError(`--${flag} must be a whole number ≥ ${min}`);
      return v;
    };
    const result = await runSinkBench({
      baseUrl: loadConfig().databaseUrl,
      events: whole('events', 20000, 100),
      batchSize: whole('batch', 500, 1),
      concurrency: whole('concurrency', 3, 1),
      progress: say,
    });
    console.log(JSON.stringify(result));
    return 0;
  },
};

export const benchCommands: Command[] = [bench, benchSink];

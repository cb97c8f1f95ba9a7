/**
 * The benches that bring up the local stack and start the pipeline's processes themselves
 * (`unitrail bench`, `unitrail bench console`). The CLI hands them the stage names (services/stages.ts)
 * and, for the console, how to start it, so this library never imports a service.
 */
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { Config } from '../config';
import { createKafka, kafkaConnection } from '../kafka';
import { createCodec } from '../avro';
import { createPool } from '../store';
import { findJava, prepareStack, readPid, resolveKafkaJars, stackFiles, stackUp, stateDir } from '../stack';
import { seenSetPrefix } from '../seenset';
import { demoMasterdata } from '../demo';
import { loadMasterdata } from '../masterdata';
import { createToken, revokeToken } from '../tokens';
import { spawnStage, stopStages, superviseStage } from '../supervisor';
import { runPipelineBench, type Deployment, type PipelineBenchResult } from './pipeline';
import { runConsoleBench, type ConsoleBenchResult } from './console';
import type { SurgeBenchOptions } from './surge';

/**
 * The deployments a run can compare, by the name --deployments takes. To add one: a name and the
 * processes it starts (every one is counted in its CPU per event).
 */
export function pipelineDeployments({
  logDir,
  stages,
  fused,
  groups,
}: {
  logDir: string;
  /** Every stage of the split deployment. */
  stages: readonly string[];
  /** The fused process and the consumer services that stay on Kafka beside it. */
  fused: readonly string[];
  /** Every stage's consumer group (ut.<stage>) and its input topics. */
  groups: Readonly<Record<string, readonly string[]>>;
}): Record<string, Deployment> {
  const groupsOf = (names: readonly string[]) =>
    Object.fromEntries(names.map((n) => [`ut.${n}`, groups[`ut.${n}`] ?? []]));
  // The fused process reads what the first stage of the flow (the validator) reads.
  const fusedGroups = { ...groupsOf(fused.slice(1)), [`ut.${fused[0]}`]: groups[`ut.${stages[0]}`] ?? [] };
  return {
    // One process per stage, topics between them: the default of compose and deploy/k8s.
    split: {
      name: 'split',
      start: (env) => stages.map((s) => spawnStage(s, logDir, env)),
      groups: groupsOf(stages),
    },
    // `unitrail run pipeline` (validator → sink in one process), beside the consumer services that
    // stay on Kafka: the surge sink and the DLQ sink.
    fused: {
      name: 'fused',
      start: (env) => fused.map((s) => spawnStage(s, logDir, env)),
      groups: fusedGroups,
    },
    // Two `unitrail run pipeline` processes sharing the raw partitions (one consumer group): one
    // Node process runs its JavaScript on one core, so a second one is what a 2-core box needs.
    fused2: {
      name: 'fused2',
      start: (env) => [fused[0]!, ...fused].map((s) => spawnStage(s, logDir, env)),
      groups: fusedGroups,
    },
  };
}

/** `unitrail bench`: stack up and prepared, then each deployment in turn (libs/bench/pipeline). */
export async function benchPipelineOnStack({
  config,
  deployments,
  events,
  latencySeconds,
  progress,
}: {
  config: Config;
  deployments: Deployment[];
  events: number;
  latencySeconds: number;
  progress: (line: string) => void;
}): Promise<PipelineBenchResult> {
  await stackUp({});
  await prepareStack(config);
  const kafka = createKafka(kafkaConnection(config));
  const redis = new Redis(config.redisUrl);
  try {
    return await runPipelineBench({
      config,
      kafka,
      codec: createCodec({ url: config.schemaRegistryUrl }),
      redis,
      seenPrefix: await seenSetPrefix(kafka),
      deployments,
      events,
      latencySeconds,
      brokerPid: readPid(stackFiles(stateDir()).pid('kafka')) ?? null,
      java: (await findJava()).bin,
      kafkaJarsDir: await resolveKafkaJars(),
      progress,
    });
  } finally {
    redis.disconnect();
  }
}

/** A console started in this process, as services/console's startConsole gives it. */
export type StartConsole = (options: {
  config: Config;
  port: number;
  host: string;
  staticDir: null;
}) => Promise<{ url: string; stop(): Promise<void> }>;

/** `unitrail bench console`: every stage running, a console in this process, records one at a time. */
export async function benchConsoleOnStack({
  config,
  stages,
  startConsole,
  events,
  progress,
}: {
  config: Config;
  stages: readonly string[];
  startConsole: StartConsole;
  events: number;
  progress: (line: string) => void;
}): Promise<ConsoleBenchResult & { tickMs: number; landedEveryMs: number }> {
  await stackUp({});
  await prepareStack(config);
  const kafka = createKafka({ brokers: config.kafkaBrokers });
  const codec = createCodec({ url: config.schemaRegistryUrl });
  const pool = createPool(config.databaseUrl, { max: 2 });
  const logDir = path.join(config.stateDir, 'logs');
  await loadMasterdata(pool, kafka, codec, demoMasterdata());
  const children = stages.map((s) => spawnStage(s, logDir));
  const name = `bench-console-${os.hostname()}-${Date.now()}`;
  const { token } = await createToken(pool, { name, role: 'viewer' });
  const running = await startConsole({ config, port: 0, host: '127.0.0.1', staticDir: null });
  try {
    progress(
      `bench console: ${events} records, one at a time; console ${running.url}; stage logs in ${logDir}`,
    );
    const result = await runConsoleBench({
      consoleUrl: running.url,
      token,
      kafka,
      codec,
      events,
      onProgress: (done, ms) =>
        progress(`bench console: ${done}/${events} ${ms === null ? 'not seen' : `${ms} ms`}`),
    });
    return { ...result, tickMs: 1000, landedEveryMs: config.consoleLandedEveryMs };
  } finally {
    await running.stop();
    await stopStages(children);
    await revokeToken(pool, name);
    await pool.end();
  }
}

/** `unitrail bench surge`'s consumers: supervised processes, each logging to <logDir>/<stage>.<n>.log. */
export function supervisedConsumers(logDir: string): SurgeBenchOptions['startConsumers'] {
  return (stage, consumers, groupId, env) => {
    const supervisor = superviseStage({ stage, consumers, groupId, env, logDir });
    return {
      stop: () => supervisor.stop(),
      failure: () => {
        const c = supervisor.consumers().find((x) => x.restarts > 0);
        return c ? `${stage} #${c.index} ended (${c.lastExit}), see ${logDir}/${stage}.${c.index}.log` : null;
      },
    };
  };
}

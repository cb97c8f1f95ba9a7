/**
 * Scaling a consumer group and the recall surge topic:
 *   `unitrail scale STAGE --consumers N`      N processes of one stage, kept alive, in one group
 *   `unitrail surge expand --partitions N`    more partitions for ut.journey.surge.v1, live
 *   `unitrail bench surge`                    normal-flow latency and surge drain time (libs/bench)
 */
import path from 'node:path';
import type { Command, CommandInput } from '../command';
import { optString } from '../command';
import { loadConfig, type Config } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createKafka, expandPartitions, groupStatus, kafkaConnection } from '../../../libs/kafka';
import { topics } from '../../../libs/topics';
import { groupOf, runStageUntilSignalled } from '../../../libs/runtime';
import { stageByName, stageFactories, stageNames } from '../../stages';
import { superviseStage } from '../../../libs/supervisor';

const say = (line: string) => process.stderr.write(`${line}\n`);

function wholeNumber(input: CommandInput, name: string, { min = 1, max = 10_000, fallback = NaN } = {}) {
  const raw = optString(input, name);
  if (raw === undefined && !Number.isNaN(fallback)) return fallback;
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} ${raw ?? '(missing)'} must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A stage's consumer group and input topics, as `unitrail run` would use them (nothing is opened). */
export async function stageGroup(
  name: string,
  _config: Config,
): Promise<{ groupId: string; topics: string[] }> {
  const stage = stageByName(name);
  if (!stage) throw new UsageError(`unknown stage '${name}'; stages: ${stageNames.join(', ')}`);
  return { groupId: groupOf(stage), topics: [...stage.inputs] };
}

const scale: Command = {
  name: 'scale',
  summary:
    'Run N consumer processes of one stage in its group (Kafka spreads the partitions), restart any that dies, show their lag; Ctrl-C stops them cleanly',
  usage: 'STAGE --consumers N [--every SECONDS] [--group GROUP]',
  options: {
    consumers: { type: 'string' },
    every: { type: 'string' },
    group: { type: 'string' },
    foreground: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(input) {
    const stage = input.positionals[0]!;
    const config = loadConfig();
    const own = await stageGroup(stage, config);
    const groupId = optString(input, 'group') ?? own.groupId;
    const topicNames = own.topics;
    if (input.values.foreground === true) {
      // One consumer in this process: what the supervisor starts for each --group consumer.
      await runStageUntilSignalled(stageFactories[stage]!(config), { config, groupId });
      return 0;
    }
    const consumers = wholeNumber(input, 'consumers', { max: 256 });
    const everyMs = wholeNumber(input, 'every', { max: 3600, fallback: 5 }) * 1000;
    const kafka = createKafka({ ...kafkaConnection(config), clientId: 'unitrail-scale' });
    const before = await groupStatus(kafka, groupId, topicNames);
    if (consumers > before.partitions) {
      say(
        `scale: ${topicNames.join(', ')} has ${before.partitions} partitions, so ${consumers - before.partitions} of ${consumers} consumers will stand by (add partitions: 'unitrail surge expand')`,
      );
    }
    const logDir = path.join(config.stateDir, 'logs');
    const supervisor = superviseStage({
      stage,
      consumers,
      logDir,
      groupId: groupId === own.groupId ? undefined : groupId,
      onEvent: (l) => say(`scale: ${l}`),
    });
    say(
      `scale: ${consumers} × ${stage} in group ${groupId} (pids ${supervisor
        .consumers()
        .map((c) => c.pid)
        .join(', ')}); logs in ${logDir}/${stage}.<n>.log; Ctrl-C stops them`,
    );

    let signalled = false;
    let wake = () => {};
    const onSignal = (signal: string) => {
      if (signalled) return;
      signalled = true;
      say(
        `scale: ${signal}: stopping ${consumers} × ${stage} (each finishes its batch and leaves the group)`,
      );
      wake();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    while (!signalled) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (signalled) break;
      try {
        const s = await groupStatus(kafka, groupId, topicNames);
        const restarts = supervisor.consumers().reduce((n, c) => n + c.restarts, 0);
        say(
          `scale: ${stage}: ${s.members}/${consumers} members, partitions per member [${s.assigned.join(',')}] of ${s.partitions}, lag ${s.lag}, restarts ${restarts}`,
        );
      } catch (err) {
        say(`scale: cannot read the group's status: ${(err as Error).message}`);
      }
    }
    await supervisor.stop();
    const after = await groupStatus(kafka, groupId, topicNames).catch(() => null);
    say(`scale: stopped; lag of ${groupId} ${after?.lag ?? 'unknown'}`);
    return 0;
  },
};

// ---------------------------------------------------------------------------------------------
// surge expand

const surgeExpand: Command = {
  name: 'surge expand',
  summary: `Add partitions to ${topics.journeySurge.name} while its consumers run (never fewer; the surge sink stays correct as keys move)`,
  usage: '--partitions N',
  options: { partitions: { type: 'string' } },
  async run(input) {
    const partitions = wholeNumber(input, 'partitions', { max: 1000 });
    const config = loadConfig();
    const r = await expandPartitions(
      createKafka({ ...kafkaConnection(config), clientId: 'unitrail-surge' }),
      {
        partitions,
      },
    );
    if (r.to === r.from) {
      console.log(`${topics.journeySurge.name}: already ${r.from} partitions`);
    } else {
      console.log(
        `${topics.journeySurge.name}: ${r.from} → ${r.to} partitions; ${
          r.rebalanced
            ? 'ut.journey-sink-surge rebalanced onto them'
            : 'no consumer running; ut.journey-sink-surge takes them when it starts'
        }. More consumers can now share the load: up to ${r.to} (on Kubernetes raise the ScaledObject's maxReplicaCount to ${r.to})`,
      );
    }
    return 0;
  },
};

export const surgeCommands: Command[] = [scale, surgeExpand];

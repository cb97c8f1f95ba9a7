/** `unitrail scale STAGE --consumers N`: N processes of one stage, kept alive, in one group (libs/supervisor). */
import path from 'node:path';
import type { Command } from '../command';
import { optNumber, optString, say } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { groupOf, runStageUntilSignalled } from '../../../libs/runtime';
import { scaleStage, stopWithParent } from '../../../libs/supervisor';
import { consumerNames, loadRunnable } from '../../runnable';

const scale: Command = {
  name: 'scale',
  summary:
    'Run N consumer processes of one stage in its group (Kafka spreads the partitions), restart any that dies, show their lag; Ctrl-C stops them cleanly',
  usage: 'STAGE --consumers N [--every SECONDS] [--group GROUP]',
  // The supervisor starts each consumer of a --group as `scale STAGE --foreground --group G`.
  hiddenOptions: { foreground: { type: 'boolean' } },
  async run(input) {
    const stage = input.positionals[0]!;
    // A stage, or the fused pipeline (`run pipeline`), whose processes share the raw topics as one
    // group: it reads what the first stage of its flow reads. Only this stage's code is loaded.
    const runnable = await loadRunnable(stage);
    if (runnable?.kind !== 'consumer')
      throw new UsageError(`unknown stage '${stage}'; stages: ${consumerNames.join(', ')}`);
    const { definition, open } = runnable;
    const config = loadConfig();
    const ownGroupId = groupOf({ name: stage });
    const groupId = optString(input, 'group') ?? ownGroupId;
    if (input.values.foreground === true) {
      // One consumer in this process: what the supervisor starts for each --group consumer.
      stopWithParent();
      await runStageUntilSignalled(open(config), { config, groupId });
      return 0;
    }
    await scaleStage({
      kafka: createKafka({ ...kafkaConnection(config), clientId: 'unitrail-scale' }),
      stage,
      consumers: optNumber(input, 'consumers', null, { min: 1, max: 256 }),
      groupId,
      ownGroupId,
      topicNames: [...definition.inputs],
      logDir: path.join(config.stateDir, 'logs'),
      everyMs: optNumber(input, 'every', 5, { min: 1, max: 3600 }) * 1000,
      say,
    });
    return 0;
  },
};

export const scaleCommands: Command[] = [scale];

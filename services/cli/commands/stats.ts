/** `unitrail stats`: the pipeline's counts and each consumer group's lag (libs/stats). */
import type { Command } from '../command';
import { printAs, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { formatStats, pipelineStats } from '../../../libs/stats';
import { createSeenSet, seenSetPrefix } from '../../../libs/seenset';
import { stageGroups } from '../../stages';

const stats: Command = {
  name: 'stats',
  summary: 'Events in the ledger, units, DLQ records, duplicates dropped, lag of each consumer group',
  usage: '[--json]',
  async run(input) {
    const config = loadConfig();
    const kafka = createKafka({ ...kafkaConnection(config) });
    const seen = createSeenSet({ url: config.redisUrl, prefix: await seenSetPrefix(kafka) });
    try {
      const report = await withPool((pool) => pipelineStats({ pool, kafka, seen, groups: stageGroups }), {
        max: 1,
      });
      printAs(input, report, () => formatStats(report));
      return 0;
    } finally {
      await seen.close();
    }
  },
};

export const statsCommands: Command[] = [stats];

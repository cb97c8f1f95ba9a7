/** `unitrail stats`: the pipeline's counts and each consumer group's lag (libs/stats). */
import type { Command } from '../command';
import { loadConfig } from '../../../libs/config';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { pipelineStats } from '../../../libs/stats';
import { poolFor } from '../../../libs/store';
import { createSeenSet, seenSetPrefix } from '../../../libs/seenset';
import { stageGroups } from '../../stages';

const stats: Command = {
  name: 'stats',
  summary: 'Events in the ledger, units, DLQ records, duplicates dropped, lag of each consumer group',
  usage: '[--json]',
  options: { json: { type: 'boolean' } },
  async run(input) {
    const config = loadConfig();
    const pool = poolFor(config, { max: 1 });
    const kafka = createKafka({ ...kafkaConnection(config) });
    const seen = createSeenSet({ url: config.redisUrl, prefix: await seenSetPrefix(kafka) });
    try {
      const report = await pipelineStats({ pool, kafka, seen, groups: stageGroups });
      if (input.values.json === true) console.log(JSON.stringify(report));
      else {
        console.log(`events in the ledger  ${report.events}`);
        console.log(`units                 ${report.units} (containers ${report.containers})`);
        console.log(`DLQ records           ${report.dlq}`);
        console.log(`duplicates dropped    ${report.duplicates}`);
        for (const [g, l] of Object.entries(report.lag)) console.log(`lag ${g.padEnd(22)} ${l}`);
      }
      return 0;
    } finally {
      await pool.end();
      await seen.close();
    }
  },
};

export const statsCommands: Command[] = [stats];

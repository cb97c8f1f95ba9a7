/** `unitrail produce demo`: the demo stream (libs/demo) onto the raw topics. */
import type { Command } from '../command';
import { demoArgs, say } from '../command';
import { loadConfig } from '../../../libs/config';
import { createKafka, kafkaConnection } from '../../../libs/kafka';
import { createCodec } from '../../../libs/avro';
import { demoCounts, demoStream, produceRecords } from '../../../libs/demo';

const produceDemo: Command = {
  name: 'produce demo',
  summary: 'Publish a simulated MES/WMS/TMS stream to the raw topics; last stdout line is JSON counts',
  usage: '--events N [--dup-rate R] [--invalid-rate R] [--seed S] [--faults SPEC]',
  async run(input) {
    const args = demoArgs(input, 1);
    const config = loadConfig();
    const { records, faults } = demoStream(args);
    await produceRecords(
      createKafka({ ...kafkaConnection(config) }),
      createCodec({ url: config.schemaRegistryUrl }),
      records,
      (n) => say(`produced ${n}/${records.length}`),
    );
    console.log(JSON.stringify({ seed: args.seed, ...demoCounts(records), ...(faults ? { faults } : {}) }));
    return 0;
  },
};

export const produceCommands: Command[] = [produceDemo];

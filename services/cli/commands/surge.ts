/** `unitrail surge expand --partitions N`: more partitions for the surge topic while its consumers run (libs/kafka). */
import type { Command } from '../command';
import { optNumber } from '../command';
import { loadConfig } from '../../../libs/config';
import { createKafka, expandPartitions, kafkaConnection } from '../../../libs/kafka';
import { topics } from '../../../libs/topics';

const surgeExpand: Command = {
  name: 'surge expand',
  summary: `Add partitions to ${topics.journeySurge.name} while its consumers run (never fewer; the surge sink stays correct as keys move)`,
  usage: '--partitions N',
  async run(input) {
    const partitions = optNumber(input, 'partitions', null, { min: 1, max: 1000 });
    const kafka = createKafka({ ...kafkaConnection(loadConfig()), clientId: 'unitrail-surge' });
    const r = await expandPartitions(kafka, { partitions });
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

export const surgeCommands: Command[] = [surgeExpand];

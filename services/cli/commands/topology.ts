/** `unitrail topology`: the graph of topics, stages and consumer groups, from the stage declarations. */
import type { Command } from '../command';
import { describeTopology, formatTopology } from '../../../libs/runtime';
import { outsideProducers, stages } from '../../stages';

const topology: Command = {
  name: 'topology',
  summary: 'Print the topics, stages and consumer groups, who produces and who consumes (nothing is opened)',
  usage: '[--json]',
  async run(input) {
    const t = describeTopology(stages, { outsideProducers });
    console.log(input.values.json === true ? JSON.stringify(t) : formatTopology(t));
    return 0;
  },
};

export const topologyCommands: Command[] = [topology];

/** `unitrail demo`: the whole pipeline on the local stack with the demo stream, accounted for (libs/demo). */
import type { Command } from '../command';
import { demoArgs, optSeconds } from '../command';
import { loadConfig } from '../../../libs/config';
import { runDemo } from '../../../libs/demo';
import { stageGroups, stageNames } from '../../stages';
import { figuresFromStore } from '../../../libs/devices';

const demo: Command = {
  name: 'demo',
  summary: 'Stack up, start every stage, produce the demo stream, wait until every record is accounted for',
  usage:
    '[--events N] [--dup-rate R] [--invalid-rate R] [--seed S] [--faults SPEC] [--timeout SECONDS] [--console]',
  async run(input) {
    const balanced = await runDemo({
      config: loadConfig(),
      args: demoArgs(input, Math.floor(Math.random() * 2 ** 31)),
      stages: stageNames,
      // With --faults, every stage group (device-health, cases) catches up, then detection is read.
      groups: stageGroups,
      detection: figuresFromStore,
      stallMs: optSeconds(input, 'timeout', 120, 5),
      serve: input.values.console === true,
    });
    return balanced ? 0 : 1;
  },
};

export const demoCommands: Command[] = [demo];

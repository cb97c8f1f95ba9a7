/** `unitrail init`: topics, schemas and migrations on a running stack (libs/stack prepareStack). */
import type { Command } from '../command';
import { say } from '../command';
import { loadConfig } from '../../../libs/config';
import { prepareStack } from '../../../libs/stack';

const init: Command = {
  name: 'init',
  summary: 'Create topics, register schemas and migrate the database (idempotent; `stack up` does it too)',
  usage: '',
  async run() {
    for (const step of await prepareStack(loadConfig())) for (const line of step.lines) say(line);
    return 0;
  },
};

export const initCommands: Command[] = [init];

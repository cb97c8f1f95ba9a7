/** `unitrail topics create`: the topics of the topic registry (libs/topics), created or grown. */
import type { Command } from '../command';
import { loadConfig } from '../../../libs/config';
import { createTopics } from '../../../libs/stack';

const topicsCreate: Command = {
  name: 'topics create',
  summary: 'Create missing topics from the topic registry (libs/topics), grow partition counts',
  usage: '',
  async run() {
    for (const line of await createTopics(loadConfig())) console.log(line);
    return 0;
  },
};

export const topicsCommands: Command[] = [topicsCreate];

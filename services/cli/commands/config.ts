/** `unitrail config`: every setting of libs/config. */
import type { Command } from '../command';
import { describeSettings } from '../../../libs/config';

const config: Command = {
  name: 'config',
  summary: 'Print every setting, its environment variable and default',
  usage: '',
  async run() {
    console.log(describeSettings());
    return 0;
  },
};

export const configCommands: Command[] = [config];

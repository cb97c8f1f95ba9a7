/** Every CLI command, in the order --help lists them. Add a command: one file here, one line below. */
import type { Command } from '../command';
import { stackCommands } from './stack';
import { pipelineCommands } from './pipeline';
import { gs1Commands } from './gs1';
import { dataCommands } from './dlq';
import { epcisCommands } from './epcis';
import { epcisQueryCommands } from './epcis-query';
import { captureCommands } from './capture';
import { journeyCommands } from './journey';
import { dbCommands } from './db';
import { recallCommands } from './recall';
import { warrantyCommands } from './warranty';
import { surgeCommands } from './surge';
import { benchCommands } from './bench';
import { topologyCommands } from './topology';

export const commands: Command[] = [
  ...pipelineCommands,
  ...dataCommands,
  ...stackCommands,
  ...gs1Commands,
  ...epcisCommands,
  ...epcisQueryCommands,
  ...captureCommands,
  ...journeyCommands,
  ...dbCommands,
  ...recallCommands,
  ...warrantyCommands,
  ...surgeCommands,
  ...benchCommands,
  ...topologyCommands,
];

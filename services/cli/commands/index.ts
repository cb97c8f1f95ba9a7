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
import { benchQueriesCommands } from './bench-queries';
import { benchEpcisQueryCommands } from './bench-epcis-query';
import { recallCommands } from './recall';
import { warrantyCommands } from './warranty';
import { surgeCommands } from './surge';
import { benchCommands } from './bench';
import { topologyCommands } from './topology';
import { consoleCommands } from './console';
import { exceptionsCommands } from './exceptions';
import { incidentsCommands } from './incidents';
import { devicesCommands } from './devices';
import { benchDevicesCommands } from './bench-devices';

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
  ...benchQueriesCommands,
  ...benchEpcisQueryCommands,
  ...recallCommands,
  ...warrantyCommands,
  ...surgeCommands,
  ...benchCommands,
  ...topologyCommands,
  ...consoleCommands,
  ...exceptionsCommands,
  ...incidentsCommands,
  ...devicesCommands,
  ...benchDevicesCommands,
];

/**
 * Every CLI command, in the order --help lists them. A command group is one file named after its
 * first word (`bench ...` in bench.ts); add a command there, or a new group: one file, one line below.
 */
import type { Command } from '../command';
import { demoCommands } from './demo';
import { runCommands } from './run';
import { produceCommands } from './produce';
import { statsCommands } from './stats';
import { initCommands } from './init';
import { topicsCommands } from './topics';
import { schemasCommands } from './schemas';
import { dbCommands } from './db';
import { ledgerCommands } from './ledger';
import { configCommands } from './config';
import { masterdataCommands } from './masterdata';
import { dlqCommands } from './dlq';
import { stackCommands } from './stack';
import { gs1Commands } from './gs1';
import { epcisCommands } from './epcis';
import { captureCommands } from './capture';
import { tokenCommands } from './token';
import { journeyCommands } from './journey';
import { recallCommands } from './recall';
import { warrantyCommands } from './warranty';
import { scaleCommands } from './scale';
import { surgeCommands } from './surge';
import { benchCommands } from './bench';
import { topologyCommands } from './topology';
import { exceptionsCommands } from './exceptions';
import { incidentsCommands } from './incidents';
import { devicesCommands } from './devices';

export const commands: Command[] = [
  ...demoCommands,
  ...runCommands,
  ...produceCommands,
  ...statsCommands,
  ...initCommands,
  ...topicsCommands,
  ...schemasCommands,
  ...dbCommands,
  ...ledgerCommands,
  ...configCommands,
  ...masterdataCommands,
  ...dlqCommands,
  ...stackCommands,
  ...gs1Commands,
  ...epcisCommands,
  ...captureCommands,
  ...tokenCommands,
  ...journeyCommands,
  ...recallCommands,
  ...warrantyCommands,
  ...scaleCommands,
  ...surgeCommands,
  ...benchCommands,
  ...topologyCommands,
  ...exceptionsCommands,
  ...incidentsCommands,
  ...devicesCommands,
];

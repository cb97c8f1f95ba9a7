/**
 * Every CLI command group, in the order --help lists them. A group is one file named after its
 * commands' first word (`bench ...` in bench.ts) and is loaded only when one of its commands runs:
 * `unitrail journey ID` does not load the benches' or the stack's libraries. Add a command to its
 * group's file, or a new group: one file, one line below.
 */
import type { Command } from '../command';

const groups = new Map<string, () => Promise<Command[]>>([
  ['demo', async () => (await import('./demo')).demoCommands],
  ['run', async () => (await import('./run')).runCommands],
  ['produce', async () => (await import('./produce')).produceCommands],
  ['stats', async () => (await import('./stats')).statsCommands],
  ['init', async () => (await import('./init')).initCommands],
  ['topics', async () => (await import('./topics')).topicsCommands],
  ['schemas', async () => (await import('./schemas')).schemasCommands],
  ['db', async () => (await import('./db')).dbCommands],
  ['ledger', async () => (await import('./ledger')).ledgerCommands],
  ['config', async () => (await import('./config')).configCommands],
  ['masterdata', async () => (await import('./masterdata')).masterdataCommands],
  ['dlq', async () => (await import('./dlq')).dlqCommands],
  ['stack', async () => (await import('./stack')).stackCommands],
  ['gs1', async () => (await import('./gs1')).gs1Commands],
  ['epcis', async () => (await import('./epcis')).epcisCommands],
  ['capture', async () => (await import('./capture')).captureCommands],
  ['token', async () => (await import('./token')).tokenCommands],
  ['journey', async () => (await import('./journey')).journeyCommands],
  ['recall', async () => (await import('./recall')).recallCommands],
  ['warranty', async () => (await import('./warranty')).warrantyCommands],
  ['scale', async () => (await import('./scale')).scaleCommands],
  ['surge', async () => (await import('./surge')).surgeCommands],
  ['bench', async () => (await import('./bench')).benchCommands],
  ['topology', async () => (await import('./topology')).topologyCommands],
  ['exceptions', async () => (await import('./exceptions')).exceptionsCommands],
  ['incidents', async () => (await import('./incidents')).incidentsCommands],
  ['devices', async () => (await import('./devices')).devicesCommands],
]);

/** The commands a command line's first word can select: its group's (none for an unknown word). */
export async function commandsOf(firstWord: string | undefined): Promise<Command[]> {
  const load = firstWord === undefined ? undefined : groups.get(firstWord);
  return load ? load() : [];
}

/** Every command, in --help's order. */
export async function allCommands(): Promise<Command[]> {
  return (await Promise.all([...groups.values()].map((load) => load()))).flat();
}

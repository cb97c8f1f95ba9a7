/** `unitrail stack up|down|status`: the local stack (Kafka, registry, PostgreSQL, Redis) without Docker. */
import type { Command } from '../command';
import { optSeconds, say } from '../command';
import { loadConfig } from '../../../libs/config';
import {
  ENV_OF,
  formatStackStatus,
  prepareStack,
  stackDown,
  stackEnvironment,
  stackStatus,
  stackUp,
} from '../../../libs/stack';

const up: Command = {
  name: 'stack up',
  summary: 'Start Kafka, the schema registry, PostgreSQL and Redis on this machine (idempotent)',
  usage: '[--timeout SECONDS]',
  async run(input) {
    const result = await stackUp({ timeoutMs: optSeconds(input, 'timeout', 120) });
    // Topics, schemas and migrations go to the stack just started (its endpoints, when project-local).
    for (const [name, value] of Object.entries(stackEnvironment())) process.env[name] ??= value;
    await prepareStack(loadConfig(), { onStep: (s) => say(`${s.step}: done (${s.seconds.toFixed(1)} s)`) });
    say(`stack: up in ${result.seconds.toFixed(1)} s`);
    // stdout: the environment that reaches the stack, for `eval "$(unitrail stack up)"`-style use
    for (const part of result.parts) console.log(`export ${ENV_OF[part.name]}='${part.url}'`);
    return 0;
  },
};

const down: Command = {
  name: 'stack down',
  summary: 'Stop what `stack up` started; --purge also deletes its data (Kafka, registry, local databases)',
  usage: '[--purge]',
  async run(input) {
    const { stopped } = await stackDown({ purge: input.values.purge === true });
    if (stopped.length === 0 && input.values.purge !== true) say('stack: nothing was running');
    return 0;
  },
};

const status: Command = {
  name: 'stack status',
  summary: 'Show each part of the local stack: up or down, address, pid, log (a report: exit 0 either way)',
  usage: '[--json]',
  async run(input) {
    const report = await stackStatus();
    // --json: indented, for people reading it too.
    console.log(input.values.json === true ? JSON.stringify(report, null, 2) : formatStackStatus(report));
    return 0;
  },
};

export const stackCommands: Command[] = [up, down, status];

/** `unitrail stack up|down|status`: the local stack (Kafka, registry, PostgreSQL, Redis) without Docker. */
import type { Command, CommandInput } from '../command';
import { optString } from '../command';
import { UsageError } from '../../../libs/errors';
import { loadConfig } from '../../../libs/config';
import { ENV_OF, prepareStack, stackDown, stackEnvironment, stackStatus, stackUp } from '../../../libs/stack';

function timeoutMs(input: CommandInput): number {
  const raw = optString(input, 'timeout') ?? '120';
  const secs = Number(raw);
  if (!Number.isFinite(secs) || secs <= 0)
    throw new UsageError(`--timeout ${raw} is not a number of seconds`);
  return secs * 1000;
}

const up: Command = {
  name: 'stack up',
  summary: 'Start Kafka, the schema registry, PostgreSQL and Redis on this machine (idempotent)',
  usage: '[--timeout SECONDS]',
  options: { timeout: { type: 'string' } },
  async run(input) {
    const result = await stackUp({ timeoutMs: timeoutMs(input) });
    // Topics, schemas and migrations go to the stack just started (its endpoints, when project-local).
    for (const [name, value] of Object.entries(stackEnvironment())) process.env[name] ??= value;
    await prepareStack(loadConfig(), {
      onStep: (s) => process.stderr.write(`${s.step}: done (${s.seconds.toFixed(1)} s)\n`),
    });
    process.stderr.write(`stack: up in ${result.seconds.toFixed(1)} s\n`);
    // stdout: the environment that reaches the stack, for `eval "$(unitrail stack up)"`-style use
    for (const part of result.parts) console.log(`export ${ENV_OF[part.name]}='${part.url}'`);
    return 0;
  },
};

const down: Command = {
  name: 'stack down',
  summary: 'Stop what `stack up` started; --purge also deletes its data (Kafka, registry, local databases)',
  usage: '[--purge]',
  options: { purge: { type: 'boolean' } },
  async run(input) {
    const { stopped } = await stackDown({ purge: input.values.purge === true });
    if (stopped.length === 0 && input.values.purge !== true)
      process.stderr.write('stack: nothing was running\n');
    return 0;
  },
};

const status: Command = {
  name: 'stack status',
  summary: 'Show each part of the local stack: up or down, address, pid, log (a report: exit 0 either way)',
  usage: '[--json]',
  options: { json: { type: 'boolean' } },
  async run(input) {
    const report = await stackStatus();
    if (input.values.json === true) {
      console.log(JSON.stringify(report, null, 2));
      return 0;
    }
    const rows = report.parts.map((p) => [
      p.name,
      p.up ? 'up' : 'down',
      p.url,
      p.pid !== undefined ? `pid ${p.pid}` : p.managed ? '-' : 'external',
      p.log ?? '',
    ]);
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
    for (const row of rows)
      console.log(
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      );
    console.log(`state: ${report.stateDir}`);
    return 0;
  },
};

export const stackCommands: Command[] = [up, down, status];

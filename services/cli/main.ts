#!/usr/bin/env node
/** `unitrail`: the one CLI for people. Finds the command by its words, parses its flags, runs it. */
import { parseArgs } from 'node:util';
import { allCommands, commandsOf } from './commands';
import { flagsOf, positionalsOf, type Command } from './command';
import { UsageError, oneLine } from '../../libs/errors';
// The stack's state file alone: libs/stack's index costs ~300 ms of CPU to load, which only the
// commands that start or inspect the stack need (they load it themselves).
// eslint-disable-next-line no-restricted-imports -- the one light file of libs/stack every command needs
import { stackEnvironment } from '../../libs/stack/state';

async function findCommand(argv: string[]): Promise<{ command: Command; rest: string[] } | undefined> {
  // Only the group the first word names is loaded. Longest match first: 'stack up' before 'stack'.
  const sorted = [...(await commandsOf(argv[0]))].sort(
    (a, b) => b.name.split(' ').length - a.name.split(' ').length,
  );
  for (const command of sorted) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

async function help(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length + c.usage.length + 1));
  const lines = commands.map((c) => `  ${`${c.name} ${c.usage}`.padEnd(width)}  ${c.summary}`);
  return [
    'usage: unitrail <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'unitrail <command> --help for its options',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // A project-local PostgreSQL or Redis started by `stack up` becomes the default for every command.
  for (const [name, value] of Object.entries(stackEnvironment())) process.env[name] ??= value;
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help' || argv[0] === '-h') {
    console.log(await help());
    return argv.length === 0 ? 2 : 0;
  }
  const found = await findCommand(argv);
  if (!found) {
    console.error(
      `unitrail: unknown command '${argv.slice(0, 2).join(' ')}'; run 'unitrail --help' for the list`,
    );
    return 2;
  }
  const { command, rest } = found;
  const options = flagsOf(command.usage);
  if (rest.includes('--help') || rest.includes('-h')) {
    const opts = Object.entries(options).map(([k, o]) => `  --${k}${o.type === 'string' ? ' VALUE' : ''}`);
    console.log([`usage: unitrail ${command.name} ${command.usage}`, command.summary, ...opts].join('\n'));
    return 0;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        options: { ...options, ...command.hiddenOptions },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError(`${oneLine(err)} (see 'unitrail ${command.name} --help')`);
    }
    const [min, max] = positionalsOf(command.usage);
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(`usage: unitrail ${command.name} ${command.usage}`);
    }
    return await command.run({ values: parsed.values, positionals: parsed.positionals });
  } catch (err) {
    console.error(`unitrail ${command.name}: ${oneLine(err)}`);
    if (process.env.UNITRAIL_DEBUG && err instanceof Error) console.error(err.stack);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  // `unitrail recall report ID | head`: the reader left; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`unitrail: ${oneLine(err)}`);
      process.exitCode = 1;
    },
  );
}

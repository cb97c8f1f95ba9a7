/** `unitrail run STAGE`: one stage, the fused pipeline or an HTTP service in the foreground (services/stages.ts). */
import type { Command } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { runStageUntilSignalled } from '../../../libs/runtime';
import { stopWithParent } from '../../../libs/supervisor';
import { loadRunnable, runnableNames } from '../../runnable';

const run: Command = {
  name: 'run',
  summary: `Run one stage or service in the foreground until SIGTERM (${runnableNames.join(', ')})`,
  usage: 'STAGE',
  async run(input) {
    const name = input.positionals[0]!;
    // Only this name's code is loaded (services/runnable.ts).
    const runnable = await loadRunnable(name);
    if (!runnable) throw new UsageError(`unknown stage '${name}'; one of: ${runnableNames.join(', ')}`);
    const config = loadConfig();
    // Started by a demo, a bench or a supervisor: stop when it is gone, not consume on as an orphan.
    stopWithParent();
    if (runnable.kind === 'service') await runnable.serve(config);
    else await runStageUntilSignalled(runnable.open(config), { config });
    return 0;
  },
};

export const runCommands: Command[] = [run];

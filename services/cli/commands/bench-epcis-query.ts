/** `unitrail bench epcis-query`: p50/p99 of the EPCIS query binding's two common questions on a journey store. */
import type { Command } from '../command';
import { optString } from '../command';
import { benchEpcisQuery } from '../../../libs/bench';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createPool } from '../../../libs/store';

const benchEpcisQueryCommand: Command = {
  name: 'bench epcis-query',
  summary:
    'Time MATCH_anyEPC for one unit and bizStep + bizLocation + a day (first page of 100) on the store `bench queries` built',
  usage: '[--database NAME] [--runs N]',
  options: { database: { type: 'string' }, runs: { type: 'string' } },
  async run(input) {
    const runsRaw = optString(input, 'runs') ?? '300';
    const runs = Number(runsRaw);
    if (!Number.isInteger(runs) || runs < 100) {
      throw new UsageError(`--runs ${runsRaw} must be a whole number of at least 100`);
    }
    const name = optString(input, 'database') ?? 'unitrail_bench';
    if (!/^[A-Za-z0-9_]+$/.test(name))
      throw new UsageError(`--database ${name} must be letters, digits and _`);
    const url = new URL(loadConfig().databaseUrl);
    url.pathname = `/${name}`;
    const pool = createPool(url.toString(), { max: 2 });
    try {
      await pool.query('SELECT 1').catch((err: { code?: string }) => {
        if (err.code === '3D000') {
          throw new UsageError(
            `database ${name} does not exist; build it with 'unitrail bench queries' first`,
          );
        }
        throw err;
      });
      console.log(JSON.stringify({ database: name, ...(await benchEpcisQuery({ pool, runs })) }));
    } finally {
      await pool.end();
    }
    return 0;
  },
};

export const benchEpcisQueryCommands: Command[] = [benchEpcisQueryCommand];

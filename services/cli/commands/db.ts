/** `unitrail db migrate` applies the migrations; `unitrail db grant-analyst NAME` makes a read-only analyst login. */
import type { Command } from '../command';
import { optString, withPool } from '../command';
import { loadConfig } from '../../../libs/config';
import { ANALYST_GROUP, grantAnalyst } from '../../../libs/store';
import { migrateDatabase } from '../../../libs/stack';

const dbMigrate: Command = {
  name: 'db migrate',
  summary: 'Apply pending database migrations (libs/store/migrations)',
  usage: '',
  async run() {
    const applied = await migrateDatabase(loadConfig());
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date');
    return 0;
  },
};

const grantAnalystCommand: Command = {
  name: 'db grant-analyst',
  summary:
    'Create (or update) a read-only login that can query the analyst views and nothing else, on this database only, each statement bounded (default 30s)',
  usage: 'NAME [--password P] [--statement-timeout 30s]',
  async run(input) {
    const name = input.positionals[0]!;
    const outcome = await withPool(
      (pool) =>
        grantAnalyst(pool, name, {
          password: optString(input, 'password'),
          statementTimeout: optString(input, 'statement-timeout') ?? '30s',
        }),
      { max: 1 },
    );
    console.log(
      `${outcome} login ${name} in ${ANALYST_GROUP}: it can read the views of schema analyst (see docs/sql-guide.md)`,
    );
    return 0;
  },
};

export const dbCommands: Command[] = [dbMigrate, grantAnalystCommand];

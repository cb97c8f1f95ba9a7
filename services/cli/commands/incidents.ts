/** `unitrail incidents insights`: where incidents concentrate and which devices are at risk (docs/exceptions.md). */
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { parseSince } from '../../../libs/dlq';
import { formatInsights, insights, loadIncidentRows } from '../../../libs/incidents';
import { poolFor } from '../../../libs/store';

const insightsCommand: Command = {
  name: 'incidents insights',
  summary:
    'Patterns in the case history, each device’s risk of an incident in the next N hours, a preventive action per risk',
  usage: '[--hours N] [--since T] [--json]',
  options: { hours: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean' } },
  async run(input) {
    const hours = Number(optString(input, 'hours') ?? 24);
    if (!Number.isFinite(hours) || hours <= 0) throw new UsageError('--hours must be a positive number');
    const since = optString(input, 'since');
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const rows = await loadIncidentRows(pool, {
        since: since === undefined ? undefined : parseSince(since, Date.now(), { label: '--since' }),
      });
      const result = insights(rows, { windowHours: hours, now: Date.now() });
      console.log(input.values.json === true ? JSON.stringify(result) : formatInsights(result));
      return 0;
    } finally {
      await pool.end();
    }
  },
};

export const incidentsCommands: Command[] = [insightsCommand];

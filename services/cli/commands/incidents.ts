/** `unitrail incidents insights`: where incidents concentrate and which devices are at risk (docs/exceptions.md). */
import type { Command } from '../command';
import { optNumber, optSince, printAs, withPool } from '../command';
import {
  formatInsights,
  insights,
  loadActivity,
  loadDevices,
  loadHealthEpisodes,
  loadIncidentRows,
} from '../../../libs/incidents';

const insightsCommand: Command = {
  name: 'incidents insights',
  summary:
    'Patterns in the case history, each device’s risk of an incident in the next N hours, a preventive action per risk',
  usage: '[--hours N] [--since T] [--json]',
  async run(input) {
    const windowHours = optNumber(input, 'hours', 24, { min: 0.001, integer: false });
    // Activity spans of a quarter window, 1 min to 1 h.
    const spanMs = Math.min(3600_000, Math.max(60_000, Math.round((windowHours * 3600_000) / 4)));
    const { rows, episodes, devices, activity } = await withPool(
      async (pool) => ({
        rows: await loadIncidentRows(pool, { since: optSince(input) }),
        episodes: await loadHealthEpisodes(pool),
        devices: await loadDevices(pool),
        activity: await loadActivity(pool, { spanMs }),
      }),
      { max: 1 },
    );
    const result = insights(rows, { episodes, devices, activity, windowHours, now: Date.now() });
    printAs(input, result, () => formatInsights(result));
    return 0;
  },
};

export const incidentsCommands: Command[] = [insightsCommand];

/** `unitrail incidents insights`: where incidents concentrate and which devices are at risk (docs/exceptions.md). */
import type { Command } from '../command';
import { optNumber, optSince, optString, optTime, printAs, withPool } from '../command';
import {
  formatInsights,
  insights,
  loadActivity,
  loadCondition,
  loadDevices,
  loadHealthEpisodes,
  loadIncidentRows,
  windowLadder,
} from '../../../libs/incidents';
import { HISTORY_BUCKET_MS } from '../../../libs/devices';

const insightsCommand: Command = {
  name: 'incidents insights',
  summary:
    'Patterns in the case history, each device’s risk of an incident in the next N hours, a preventive action per risk',
  usage: '[--hours N] [--at T] [--since T] [--json]',
  async run(input) {
    // Absent: the window is chosen from the history (libs/incidents chooseWindow).
    const windowHours =
      optString(input, 'hours') === undefined
        ? undefined
        : optNumber(input, 'hours', null, { min: 0.001, integer: false });
    const now = optTime(input, 'at') ?? Date.now();
    // Activity in spans of a quarter of the shortest window it may be judged in (1 min at least):
    // a window's count is then off by at most a quarter window at its start.
    const shortest = Math.min(windowHours ?? Infinity, ...windowLadder);
    const spanMs = Math.max(60_000, Math.round((shortest * 3600_000) / 4));
    const { rows, episodes, devices, activity, condition } = await withPool(
      async (pool) => ({
        rows: await loadIncidentRows(pool, { since: optSince(input) }),
        episodes: await loadHealthEpisodes(pool),
        devices: await loadDevices(pool),
        activity: await loadActivity(pool, { spanMs }),
        condition: await loadCondition(pool, { bucketMs: HISTORY_BUCKET_MS }),
      }),
      { max: 1 },
    );
    const result = insights(rows, { episodes, devices, activity, condition, windowHours, now });
    printAs(input, result, () => formatInsights(result));
    return 0;
  },
};

export const incidentsCommands: Command[] = [insightsCommand];

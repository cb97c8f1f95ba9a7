/** `unitrail incidents insights`: where incidents concentrate and which devices are at risk (docs/exceptions.md). */
import type { Command } from '../command';
import { optNumber, optSince, optString, optTime, printAs, withPool } from '../command';
import { formatInsights, insights, loadHistory } from '../../../libs/incidents';
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
    const history = await withPool(
      (pool) => loadHistory(pool, { windowHours, since: optSince(input), bucketMs: HISTORY_BUCKET_MS }),
      { max: 1 },
    );
    const { rows, ...state } = history;
    const result = insights(rows, { ...state, windowHours, now });
    printAs(input, result, () => formatInsights(result));
    return 0;
  },
};

export const incidentsCommands: Command[] = [insightsCommand];

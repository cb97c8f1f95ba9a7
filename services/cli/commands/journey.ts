/** `unitrail journey ID`: a unit's journey through every case, pallet and shipment it was inside. */
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { poolFor } from '../../../libs/store';
import { formatJourney, unitJourney } from '../../../libs/journey';

const journey: Command = {
  name: 'journey',
  summary:
    "A unit's journey: its own events and its containers' while it was inside (ID: serial with --gtin, EPC URN, Digital Link, element string)",
  usage: 'ID [--gtin GTIN] [--json]',
  options: { gtin: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const found = await unitJourney(pool, id, { gtin: optString(input, 'gtin') });
      if (!found) {
        console.error(
          `unitrail journey: no events for ${id}${input.values.gtin ? ` (GTIN ${String(input.values.gtin)})` : ''}; check the identifier`,
        );
        return 1;
      }
      console.log(input.values.json === true ? JSON.stringify(found) : formatJourney(found));
      return 0;
    } finally {
      await pool.end();
    }
  },
};

export const journeyCommands: Command[] = [journey];

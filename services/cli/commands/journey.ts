/** `unitrail journey ID`: a unit's journey through every case, pallet and shipment it was inside. */
import type { Command } from '../command';
import { optString, printAs, withPool } from '../command';
import { UnitrailError } from '../../../libs/errors';
import { formatJourney, unitJourney } from '../../../libs/journey';

const journey: Command = {
  name: 'journey',
  summary:
    "A unit's journey: its own events and its containers' while it was inside (ID: serial with --gtin, EPC URN, Digital Link, element string)",
  usage: 'ID [--gtin GTIN] [--json]',
  async run(input) {
    const id = input.positionals[0]!;
    const gtin = optString(input, 'gtin');
    const found = await withPool((pool) => unitJourney(pool, id, { gtin }), { max: 1 });
    if (!found)
      throw new UnitrailError(
        'NOT_FOUND',
        `no events for ${id}${gtin ? ` (GTIN ${gtin})` : ''}; check the identifier`,
      );
    printAs(input, found, () => formatJourney(found));
    return 0;
  },
};

export const journeyCommands: Command[] = [journey];

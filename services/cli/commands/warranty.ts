/** `unitrail warranty ID [--gtin G] [--claim REF]`: the warranty check, and recording a claim. */
import type { Command } from '../command';
import { optString, printAs, withPool } from '../command';
import { auditCli, cliActor } from '../../../libs/audit';
import { checkWarranty, formatWarranty } from '../../../libs/warranty';

const warranty: Command = {
  name: 'warranty',
  summary: 'Check a serial for a warranty claim: exists, genuine, sold when, recalled, claimed before',
  usage: 'ID [--gtin GTIN] [--claim REF] [--json]   (ID: a serial with --gtin, an EPC URN or a Digital Link)',
  async run(input) {
    const id = input.positionals[0]!;
    const claimRef = optString(input, 'claim');
    const check = await withPool(async (pool) => {
      const checked = await checkWarranty(pool, id, {
        gtin: optString(input, 'gtin'),
        claimRef,
        claimedBy: cliActor(),
      });
      const action = claimRef ? 'warranty.claim' : 'warranty.check';
      await auditCli(pool, action, checked.unit, claimRef ? { claimRef } : {});
      return checked;
    });
    printAs(input, check, () => formatWarranty(check));
    return check.exists ? 0 : 1;
  },
};

export const warrantyCommands: Command[] = [warranty];

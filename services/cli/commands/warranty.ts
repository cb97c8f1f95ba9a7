/** `unitrail warranty ID [--gtin G] [--claim REF]`: the warranty check, and recording a claim. */
import type { Command } from '../command';
import { optString } from '../command';
import { loadConfig } from '../../../libs/config';
import { poolFor } from '../../../libs/store';
import { audit, cliActor } from '../../../libs/recalls';
import { checkWarranty } from '../../../libs/warranty';

const warranty: Command = {
  name: 'warranty',
  summary: 'Check a serial for a warranty claim: exists, genuine, sold when, recalled, claimed before',
  usage: 'ID [--gtin GTIN] [--claim REF] [--json]   (ID: a serial with --gtin, an EPC URN or a Digital Link)',
  options: { gtin: { type: 'string' }, claim: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(input) {
    const id = input.positionals[0]!;
    const claimRef = optString(input, 'claim');
    const config = loadConfig();
    const pool = poolFor(config, { max: 2 });
    try {
      const check = await checkWarranty(pool, id, {
        gtin: optString(input, 'gtin'),
        claimRef,
        claimedBy: cliActor(),
      });
      await audit(pool, {
        actor: cliActor(),
        action: claimRef ? 'warranty.claim' : 'warranty.check',
        resource: check.unit,
        detail: claimRef ? { claimRef } : {},
      });
      if (input.values.json === true) console.log(JSON.stringify(check));
      else {
        const yes = (b: boolean) => (b ? 'yes' : 'no');
        console.log(`unit        ${check.unit}`);
        console.log(`exists      ${yes(check.exists)}`);
        console.log(
          `genuine     ${yes(check.genuine)}${check.commissioning ? ` (commissioned ${check.commissioning.at} by ${check.commissioning.sourceSystem})` : ''}`,
        );
        console.log(`sold        ${check.soldAt ?? 'no'}`);
        console.log(
          `recall      ${check.recall ? `${check.recall.recallId}: ${check.recall.reason}` : 'none'}`,
        );
        console.log(
          `claims      ${check.claims.map((c) => `${c.claimRef} (${c.claimedAt})`).join(', ') || 'none'}`,
        );
        if (check.claim?.duplicate) {
          console.log(
            `FLAGGED     a second claim: ${check.claim.claimRef}; first claim ${check.claim.firstClaimRef}`,
          );
        }
        console.log(`verdict     ${check.verdict}`);
      }
      return check.exists ? 0 : 1;
    } finally {
      await pool.end();
    }
  },
};

export const warrantyCommands: Command[] = [warranty];

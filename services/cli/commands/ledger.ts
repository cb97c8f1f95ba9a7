/** `unitrail ledger verify`: the ledger's hash chains and anchors (libs/store). */
import type { Command } from '../command';
import { say } from '../command';
import { loadConfig } from '../../../libs/config';
import { poolFor, verifyLedger } from '../../../libs/store';

const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: "Recompute each partition's hash chain and the anchors; name the first bad batch (exit 1)",
  usage: '',
  async run() {
    const pool = poolFor(loadConfig(), { max: 1 });
    try {
      const r = await verifyLedger(pool, (done, total) => say(`verified ${done}/${total} batches`));
      if (r.ok) {
        console.log(
          `ledger intact: ${r.batches} batches, ${r.rows} events, ${r.chains} chains, ${r.anchors} anchors`,
        );
        return 0;
      }
      console.log(
        `ledger TAMPERED: batch ${r.firstBad!.batchId} (chain ${JSON.stringify(r.firstBad!.chain)} position ${r.firstBad!.chainSeq}): ${r.firstBad!.reason}`,
      );
      return 1;
    } finally {
      await pool.end();
    }
  },
};

export const ledgerCommands: Command[] = [ledgerVerify];

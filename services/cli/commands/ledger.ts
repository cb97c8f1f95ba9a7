/** `unitrail ledger verify`: the ledger's hash chains and anchors (libs/store). */
import type { Command } from '../command';
import { say, withPool } from '../command';
import { verifyLedger } from '../../../libs/store';

const ledgerVerify: Command = {
  name: 'ledger verify',
  summary: "Recompute each partition's hash chain and the anchors; name the first bad batch (exit 1)",
  usage: '',
  async run() {
    const r = await withPool(
      (pool) => verifyLedger(pool, (done, total) => say(`verified ${done}/${total} batches`)),
      {
        max: 1,
      },
    );
    const bad = r.firstBad;
    console.log(
      bad
        ? `ledger TAMPERED: batch ${bad.batchId} (chain ${JSON.stringify(bad.chain)} position ${bad.chainSeq}): ${bad.reason}`
        : `ledger intact: ${r.batches} batches, ${r.rows} events, ${r.chains} chains, ${r.anchors} anchors`,
    );
    return r.ok ? 0 : 1;
  },
};

export const ledgerCommands: Command[] = [ledgerVerify];

/**
 * `unitrail epcis hash FILE [--prehash]`: the EPCIS Event Hash ID of each event of a JSON-LD or XML
 * document, one per line in document order (nothing else on stdout, so it pipes and diffs).
 * `unitrail epcis share|unshare|shares`: the sharing rule of the EPCIS query binding (who sees whose
 * captured events); `unitrail epcis watch NAME`: follow a named query over WebSocket and print how
 * long after landing each event arrived.
 */
import type { Command } from '../command';
import { captureUrl, optNumber, readInput, say, tokenOf, withPool } from '../command';
import { listShares, share, unshare, watchQuery } from '../../../libs/epcis-query';
import { UsageError } from '../../../libs/errors';
import { eventHash, parseDocument, preHash } from '../../../libs/epcis';

const hash: Command = {
  name: 'epcis hash',
  summary:
    'Print the EPCIS Event Hash ID (or with --prehash its pre-hash string) of each event of a document',
  usage: 'FILE [--prehash]',
  async run(input) {
    const { events } = parseDocument(readInput(input.positionals[0]!).toString('utf8'));
    const lines = events.map(input.values.prehash === true ? preHash : eventHash);
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

const shareCommand: Command = {
  name: 'epcis share',
  summary: 'Let token READER see every event token OWNER captured (EPCIS query binding)',
  usage: 'OWNER READER',
  async run({ positionals: [owner, reader] }) {
    const added = await withPool((pool) => share(pool, owner!, reader!), { max: 1 });
    console.log(added ? `${reader} now sees ${owner}'s events` : `${reader} already saw ${owner}'s events`);
    return 0;
  },
};

const unshareCommand: Command = {
  name: 'epcis unshare',
  summary: "Stop showing OWNER's events to READER",
  usage: 'OWNER READER',
  async run({ positionals: [owner, reader] }) {
    const removed = await withPool((pool) => unshare(pool, owner!, reader!), { max: 1 });
    if (!removed)
      throw new UsageError(
        `${owner} does not share with ${reader} ('unitrail epcis shares' lists the shares)`,
      );
    console.log(`${reader} no longer sees ${owner}'s events`);
    return 0;
  },
};

const sharesCommand: Command = {
  name: 'epcis shares',
  summary: 'List who sees whose captured events',
  usage: '',
  async run() {
    const shares = await withPool((pool) => listShares(pool), { max: 1 });
    if (shares.length === 0)
      console.log('no shares: each token sees only the events it captured (admins see all)');
    for (const s of shares) console.log(`${s.owner} → ${s.reader}  (since ${s.createdAt.toISOString()})`);
    return 0;
  },
};

const watchCommand: Command = {
  name: 'epcis watch',
  summary: 'Follow a named query over WebSocket; print each event with its delay after landing (ms)',
  usage: 'QUERY [--url URL] [--token TOKEN] [--count N]',
  async run(input) {
    const token = tokenOf(input);
    const count = optNumber(input, 'count', Infinity, { min: 1 });
    const base = captureUrl(input);
    let seen = 0;
    const watch = watchQuery({
      base,
      token,
      queryName: input.positionals[0]!,
      onEvent: (e) => {
        console.log(JSON.stringify(e));
        if (++seen >= count) watch.close();
      },
    });
    await watch.opened;
    say(`watching ${input.positionals[0]} (Ctrl-C to stop)`);
    process.once('SIGINT', () => watch.close());
    await watch.closed;
    return 0;
  },
};

export const epcisCommands: Command[] = [hash, shareCommand, unshareCommand, sharesCommand, watchCommand];

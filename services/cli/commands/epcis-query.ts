/**
 * `unitrail epcis share|unshare|shares`: the sharing rule of the EPCIS query binding (who sees whose
 * captured events); `unitrail epcis watch NAME`: follow a named query over WebSocket and print how
 * long after landing each event arrived.
 */
import type { Command } from '../command';
import { optString } from '../command';
import { listShares, share, unshare, watchQuery } from '../../../libs/epcis-query';
import { loadConfig } from '../../../libs/config';
import { UsageError } from '../../../libs/errors';
import { createPool } from '../../../libs/store';
import { captureSettings } from '../../capture-api';

async function withPool<T>(fn: (pool: ReturnType<typeof createPool>) => Promise<T>): Promise<T> {
  const pool = createPool(loadConfig().databaseUrl, { max: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

const shareCommand: Command = {
  name: 'epcis share',
  summary: 'Let token READER see every event token OWNER captured (EPCIS query binding)',
  usage: 'OWNER READER',
  positionals: [2, 2],
  async run({ positionals: [owner, reader] }) {
    const added = await withPool((pool) => share(pool, owner!, reader!));
    console.log(added ? `${reader} now sees ${owner}'s events` : `${reader} already saw ${owner}'s events`);
    return 0;
  },
};

const unshareCommand: Command = {
  name: 'epcis unshare',
  summary: "Stop showing OWNER's events to READER",
  usage: 'OWNER READER',
  positionals: [2, 2],
  async run({ positionals: [owner, reader] }) {
    const removed = await withPool((pool) => unshare(pool, owner!, reader!));
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
    const shares = await withPool((pool) => listShares(pool));
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
  positionals: [1, 1],
  options: { url: { type: 'string' }, token: { type: 'string' }, count: { type: 'string' } },
  async run(input) {
    const token = optString(input, 'token') ?? process.env.UNITRAIL_TOKEN;
    if (!token) throw new UsageError('no token: pass --token or set UNITRAIL_TOKEN');
    const countRaw = optString(input, 'count');
    const count = countRaw === undefined ? Infinity : Number(countRaw);
    if (!(count >= 1) || (countRaw !== undefined && !Number.isInteger(count))) {
      throw new UsageError(`--count ${countRaw} must be a whole number ≥ 1`);
    }
    const base = optString(input, 'url') ?? `http://127.0.0.1:${captureSettings().port}`;
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
    process.stderr.write(`watching ${input.positionals[0]} (Ctrl-C to stop)\n`);
    process.once('SIGINT', () => watch.close());
    await watch.closed;
    return 0;
  },
};

export const epcisQueryCommands: Command[] = [shareCommand, unshareCommand, sharesCommand, watchCommand];

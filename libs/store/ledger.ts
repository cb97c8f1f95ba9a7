/**
 * The tamper-evident ledger: one hash chain per journey partition, and anchors that tie the heads
 * of every chain together.
 *
 *   batch_hash  = sha256(prev batch_hash of the same chain || row hashes in event_id order)
 *   row hash    = sha256(event_id || '|' || record text)
 *   anchor_hash = sha256(prev anchor_hash || heads text), heads = [[chain, chain_seq, hash hex], ...]
 *
 * A sink holds only its own chain's lock (taken at BEGIN, so a chain's order is its commit order);
 * sinks on different partitions never wait on each other. Every `anchorEvery` batches of a chain,
 * the sink also writes an anchor if no other sink is writing one at that moment (a try-lock: it
 * never waits). An anchor makes a change to any chain's past, even one that rewrites that whole
 * chain consistently, show against the heads it recorded.
 */
import crypto from 'node:crypto';
import type pg from 'pg';

const ANCHOR_LOCK = 724_004;

export function batchHash(prev: Buffer | null, rowHashesInEventIdOrder: Buffer[]): Buffer {
  const h = crypto.createHash('sha256');
  if (prev) h.update(prev);
  for (const r of rowHashesInEventIdOrder) h.update(r);
  return h.digest();
}

export function anchorHash(prev: Buffer | null, headsText: string): Buffer {
  const h = crypto.createHash('sha256');
  if (prev) h.update(prev);
  return h.update(headsText).digest();
}

/** The newest batch of every chain (a skip scan over the (chain, chain_seq) key, one probe per chain). */
const HEADS_SQL = `WITH RECURSIVE c (chain) AS (
    SELECT min(chain) FROM ut.ledger_batches
    UNION ALL
    SELECT (SELECT min(b.chain) FROM ut.ledger_batches b WHERE b.chain > c.chain) FROM c WHERE c.chain IS NOT NULL)
  SELECT c.chain, h.chain_seq, h.batch_hash FROM c
  CROSS JOIN LATERAL (SELECT b.chain_seq, b.batch_hash FROM ut.ledger_batches b
                       WHERE b.chain = c.chain ORDER BY b.chain_seq DESC LIMIT 1) h
  WHERE c.chain IS NOT NULL ORDER BY c.chain COLLATE "C"`;

/** The head of a chain (its newest batch), or no row for a new chain: read under the chain's lock. */
export const chainHeadSql = (chainLiteral: string) =>
  `SELECT batch_hash, chain_seq FROM ut.ledger_batches WHERE chain = ${chainLiteral} ORDER BY chain_seq DESC LIMIT 1`;

export type ChainHead = { batch_hash: Buffer; chain_seq: string } | undefined;

export interface ChainLink {
  /** The batch's row in ut.ledger_batches, as one statement with its values inline. */
  sql: string;
  /** Whether this batch should also write an anchor (the chain's first batch, then every anchorEvery). */
  anchorDue: boolean;
}

/**
 * The batch's link in its chain, after `head` (read under the chain's lock, held since BEGIN), as a
 * statement that can go in the same round trip as the batch's rows.
 */
export function chainLink(
  head: ChainHead,
  {
    batchId,
    chain,
    sink,
    rowHashes,
    anchorEvery = 64,
  }: { batchId: string; chain: string; sink: string; rowHashes: Buffer[]; anchorEvery?: number },
  lit: (s: string) => string,
): ChainLink {
  const prevHash = head?.batch_hash ?? null;
  const seq = Number(head?.chain_seq ?? 0) + 1;
  const hash = batchHash(prevHash, rowHashes);
  const bytea = (b: Buffer | null) => (b ? `decode('${b.toString('hex')}', 'hex')` : 'NULL');
  return {
    sql: `INSERT INTO ut.ledger_batches (batch_id, chain, chain_seq, prev_hash, batch_hash, row_count, sink)
      VALUES (${BigInt(batchId)}, ${lit(chain)}, ${seq}, ${bytea(prevHash)}, ${bytea(hash)}, ${rowHashes.length}, ${lit(sink)})`,
    anchorDue: seq === 1 || seq % anchorEvery === 0,
  };
}

/** Appends one batch to its chain (the chain's lock is held since BEGIN); now and then an anchor. */
export async function appendChain(
  client: pg.ClientBase,
  options: { batchId: string; chain: string; sink: string; rowHashes: Buffer[]; anchorEvery?: number },
): Promise<void> {
  const lit = (v: string) => client.escapeLiteral(v);
  const head = (await client.query<NonNullable<ChainHead>>(chainHeadSql(lit(options.chain)))).rows[0];
  const link = chainLink(head, options, lit);
  await client.query(link.sql);
  if (link.anchorDue) await writeAnchor(client, options.sink);
}

/** Writes an anchor over every chain's head unless another sink is writing one right now. */
export async function writeAnchor(client: pg.ClientBase, sink: string): Promise<boolean> {
  const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
    ANCHOR_LOCK,
  ]);
  if (!got.rows[0]!.ok) return false;
  const heads = await client.query<{ chain: string; chain_seq: string; batch_hash: Buffer }>(HEADS_SQL);
  const prev = await client.query<{ anchor_seq: string; anchor_hash: Buffer }>(
    'SELECT anchor_seq, anchor_hash FROM ut.ledger_anchors ORDER BY anchor_seq DESC LIMIT 1',
  );
  const text = headsText(heads.rows);
  const prevHash = prev.rows[0]?.anchor_hash ?? null;
  await client.query(
    'INSERT INTO ut.ledger_anchors (anchor_seq, prev_hash, heads, anchor_hash, sink) VALUES ($1,$2,$3,$4,$5)',
    [Number(prev.rows[0]?.anchor_seq ?? 0) + 1, prevHash, text, anchorHash(prevHash, text), sink],
  );
  return true;
}

const headsText = (rows: { chain: string; chain_seq: string; batch_hash: Buffer }[]) =>
  JSON.stringify(rows.map((r) => [r.chain, Number(r.chain_seq), Buffer.from(r.batch_hash).toString('hex')]));

export interface VerifyResult {
  ok: boolean;
  /** Batches and rows verified (every chain), chains and anchors seen. */
  batches: number;
  rows: number;
  chains: number;
  anchors: number;
  /**
   * The first bad batch (the lowest batch id among each chain's first bad one), with why; an
   * anchor that no longer matches names the batch it recorded.
   */
  firstBad?: { batchId: number; chain: string; chainSeq: number; reason: string };
}

type BatchRow = {
  batch_id: string;
  chain_seq: string;
  prev_hash: Buffer | null;
  batch_hash: Buffer;
  row_count: number;
};

/**
 * Recomputes every chain from the stored rows in chain order, then the anchors. Row hashes are
 * recomputed in SQL from the stored text (json keeps it byte for byte), so any change made outside
 * the sink shows.
 */
export async function verifyLedger(
  pool: pg.Pool,
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyResult> {
  const total = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM ut.ledger_batches')).rows[0]!.n,
  );
  const chains = (await pool.query<{ chain: string }>(HEADS_SQL)).rows.map((r) => r.chain);
  let done = 0;
  let rows = 0;
  const bad: NonNullable<VerifyResult['firstBad']>[] = [];
  const page = 500;
  for (const chain of chains) {
    let prev: Buffer | null = null;
    chainLoop: for (let fromSeq = 0; ;) {
      const batches = await pool.query<BatchRow>(
        `SELECT batch_id, chain_seq, prev_hash, batch_hash, row_count FROM ut.ledger_batches
          WHERE chain = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT $3`,
        [chain, fromSeq, page],
      );
      if (batches.rowCount === 0) break;
      const ids = batches.rows.map((b) => b.batch_id);
      const rowHashes = await pool.query<{ batch_id: string; hashes: Buffer[]; n: string }>(
        `SELECT batch_id, array_agg(sha256(convert_to(event_id || '|' || record::text, 'UTF8')) ORDER BY event_id COLLATE "C") AS hashes, count(*) AS n
           FROM ut.events WHERE batch_id = ANY($1::bigint[]) GROUP BY batch_id`,
        [ids],
      );
      const byBatch = new Map(rowHashes.rows.map((r) => [r.batch_id, r]));
      for (const b of batches.rows) {
        const fail = (reason: string) =>
          bad.push({ batchId: Number(b.batch_id), chain, chainSeq: Number(b.chain_seq), reason });
        const prevStored = b.prev_hash ? Buffer.from(b.prev_hash) : null;
        if ((prev === null) !== (prevStored === null) || (prev && prevStored && !prev.equals(prevStored))) {
          fail('its link to the previous batch was changed');
          break chainLoop;
        }
        const r = byBatch.get(b.batch_id);
        const n = Number(r?.n ?? 0);
        if (n !== b.row_count) {
          fail(`it should hold ${b.row_count} rows and holds ${n}`);
          break chainLoop;
        }
        const hash = batchHash(prev, r?.hashes ?? []);
        if (!hash.equals(Buffer.from(b.batch_hash))) {
          fail('a row in it was changed');
          break chainLoop;
        }
        prev = hash;
        done++;
        rows += n;
        fromSeq = Number(b.chain_seq);
      }
      onProgress?.(done, total);
    }
  }
  const anchors = await verifyAnchors(pool, bad);
  const result = { batches: done, rows, chains: chains.length, anchors };
  if (bad.length > 0) {
    const firstBad = bad.reduce((a, b) => (b.batchId < a.batchId ? b : a));
    return { ok: false, ...result, firstBad };
  }
  const orphans = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM ut.events e WHERE NOT EXISTS (SELECT 1 FROM ut.ledger_batches b WHERE b.batch_id = e.batch_id)',
  );
  if (Number(orphans.rows[0]!.n) > 0) {
    return {
      ok: false,
      ...result,
      firstBad: {
        batchId: -1,
        chain: '',
        chainSeq: -1,
        reason: `${orphans.rows[0]!.n} rows belong to no batch of the chain`,
      },
    };
  }
  return { ok: true, ...result };
}

/** Checks the anchors' own chain and that every head an anchor recorded is still in its chain. */
async function verifyAnchors(pool: pg.Pool, bad: NonNullable<VerifyResult['firstBad']>[]): Promise<number> {
  let prev: Buffer | null = null;
  let n = 0;
  for (let fromSeq = 0; ;) {
    const anchors = await pool.query<{
      anchor_seq: string;
      prev_hash: Buffer | null;
      heads: string;
      anchor_hash: Buffer;
    }>(
      `SELECT anchor_seq, prev_hash, heads::text AS heads, anchor_hash FROM ut.ledger_anchors
        WHERE anchor_seq > $1 ORDER BY anchor_seq LIMIT 200`,
      [fromSeq],
    );
    if (anchors.rowCount === 0) return n;
    for (const a of anchors.rows) {
      const heads = JSON.parse(a.heads) as [string, number, string][];
      const named = await pool.query<{
        chain: string;
        chain_seq: string;
        batch_id: string;
        batch_hash: Buffer;
      }>(
        `SELECT b.chain, b.chain_seq, b.batch_id, b.batch_hash
           FROM unnest($1::text[], $2::bigint[]) AS h(chain, seq)
           JOIN ut.ledger_batches b ON b.chain = h.chain AND b.chain_seq = h.seq`,
        [heads.map((h) => h[0]), heads.map((h) => h[1])],
      );
      const found = new Map(named.rows.map((r) => [`${r.chain}\u0000${r.chain_seq}`, r]));
      const prevStored = a.prev_hash ? Buffer.from(a.prev_hash) : null;
      const chainBroken =
        (prev === null) !== (prevStored === null) ||
        (prev !== null && prevStored !== null && !prev.equals(prevStored)) ||
        !anchorHash(prev, a.heads).equals(Buffer.from(a.anchor_hash));
      for (const [chain, seq, hex] of heads) {
        const b = found.get(`${chain}\u0000${seq}`);
        if (!b) {
          bad.push({
            batchId: -1,
            chain,
            chainSeq: seq,
            reason: `anchor ${a.anchor_seq} names a batch that is gone`,
          });
        } else if (chainBroken || Buffer.from(b.batch_hash).toString('hex') !== hex) {
          bad.push({
            batchId: Number(b.batch_id),
            chain,
            chainSeq: seq,
            reason: chainBroken
              ? `anchor ${a.anchor_seq} was changed`
              : `it no longer matches the head anchor ${a.anchor_seq} recorded`,
          });
        }
        if (!b || chainBroken || Buffer.from(b.batch_hash).toString('hex') !== hex) return n;
      }
      prev = Buffer.from(a.anchor_hash);
      n++;
      fromSeq = Number(a.anchor_seq);
    }
  }
}

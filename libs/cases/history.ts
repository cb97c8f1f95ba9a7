/**
 * A case's history is append-only and tamper-evident, like the ledger: each entry's hash is
 * sha256(previous entry's hash || entry text), one chain per case. The text hashed is the exact JSON
 * stored (key order fixed here), so verifying needs nothing but the rows.
 *
 * A chain per case cannot tell that a whole case is gone, so every entry also has a place in one
 * chain over all cases, in the order written (migration 090): gseq 1, 2, 3, ... and
 * ghash = sha256(previous entry's ghash || its own hash).
 */
import crypto from 'node:crypto';
import type { HistoryEntry } from './types';

export type { HistoryEntry } from './types';

/** The stored text of an entry: its fields in a fixed order. */
export function entryText(e: HistoryEntry): string {
  return JSON.stringify({
    caseId: e.caseId,
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    role: e.role,
    action: e.action,
    step: e.step,
    detail: e.detail,
  });
}

export function entryHash(prev: Buffer | null, text: string): Buffer {
  const h = crypto.createHash('sha256');
  if (prev) h.update(prev);
  return h.update(text, 'utf8').digest();
}

/** The entry's link in the chain over all cases: its own hash chained to the previous entry's. */
export function globalHash(prev: Buffer | null, hash: Buffer): Buffer {
  return crypto
    .createHash('sha256')
    .update(prev ?? Buffer.alloc(0))
    .update(hash)
    .digest();
}

/** A history row as stored (ut.case_history). */
export interface HistoryRow {
  case_id: string;
  seq: number;
  at: Date;
  actor: string;
  action: string;
  step: string | null;
  entry: string;
  prev_hash: Buffer | null;
  hash: Buffer;
}

/** A stored link equals the hash before it (none for the first entry). */
const linksTo = (stored: Buffer | null, prev: Buffer | null) =>
  stored === null ? prev === null : prev !== null && stored.equals(prev);

export type ChainCheck =
  { ok: true; entries: number } | { ok: false; caseId: string; seq: number; problem: string };

/**
 * Checks one case's rows (in seq order): numbering without gaps, each hash over its text and the
 * previous hash, and the columns equal to what the text says. Names the first bad entry.
 */
export function verifyChain(rows: HistoryRow[]): ChainCheck {
  let prev: Buffer | null = null;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const bad = (problem: string): ChainCheck => ({ ok: false, caseId: r.case_id, seq: r.seq, problem });
    if (r.seq !== i + 1) return bad(`entry ${i + 1} is missing (found ${r.seq})`);
    if (!linksTo(r.prev_hash, prev)) return bad('its prev_hash is not the previous entry hash');
    if (!entryHash(prev, r.entry).equals(r.hash)) return bad('its hash does not match its text');
    let parsed: Partial<HistoryEntry>;
    try {
      parsed = JSON.parse(r.entry) as Partial<HistoryEntry>;
    } catch {
      return bad('its text is not JSON');
    }
    if (
      parsed.caseId !== r.case_id ||
      parsed.seq !== r.seq ||
      parsed.actor !== r.actor ||
      parsed.action !== r.action ||
      (parsed.step ?? null) !== r.step ||
      parsed.at !== r.at.toISOString()
    )
      return bad('its columns differ from its hashed text');
    prev = r.hash;
  }
  return { ok: true, entries: rows.length };
}

/** A row's place in the chain over all cases (ut.case_history's gseq, gprev, ghash). */
export interface GlobalLinkRow {
  case_id: string;
  seq: number;
  /** bigint: node-postgres gives it as text. */
  gseq: string | number;
  gprev: Buffer | null;
  ghash: Buffer;
  hash: Buffer;
}

/**
 * Checks the chain over all cases (rows in gseq order): numbering without gaps, each link over the
 * previous one. A deleted case or entry shows as a gap; the entry after it is the one named. (Like
 * any hash chain, a cut at its very end shows only against a head recorded elsewhere: verify prints it.)
 */
export function verifyGlobalChain(rows: GlobalLinkRow[]): ChainCheck {
  let prev: Buffer | null = null;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const bad = (problem: string): ChainCheck => ({ ok: false, caseId: r.case_id, seq: r.seq, problem });
    if (Number(r.gseq) !== i + 1)
      return bad(
        `entry ${i + 1} of the chain over all cases is missing (found ${r.gseq}): a case or an entry was deleted`,
      );
    if (!linksTo(r.gprev, prev)) return bad('its gprev is not the previous entry ghash (over all cases)');
    if (!globalHash(prev, r.hash).equals(r.ghash)) return bad('its ghash does not match its hash');
    prev = r.ghash;
  }
  return { ok: true, entries: rows.length };
}

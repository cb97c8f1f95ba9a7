/**
 * A case's history is append-only and tamper-evident, like the ledger: each entry's hash is
 * sha256(previous entry's hash || entry text), one chain per case. The text hashed is the exact JSON
 * stored (key order fixed here), so verifying needs nothing but the rows.
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
    if (!(r.prev_hash === null ? prev === null : prev !== null && r.prev_hash.equals(prev)))
      return bad('its prev_hash is not the previous entry hash');
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

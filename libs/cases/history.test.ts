import { entryHash, entryText, globalHash, verifyChain, verifyGlobalChain } from './history';
import type { GlobalLinkRow, HistoryEntry, HistoryRow } from './history';

function chain(n: number): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let prev: Buffer | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const at = new Date(Date.UTC(2026, 0, 1, 0, seq));
    const e: HistoryEntry = {
      caseId: 'C-1',
      seq,
      at: at.toISOString(),
      actor: 'amy',
      role: 'quality',
      action: 'step',
      step: `s${seq}`,
      detail: { n: seq },
    };
    const text = entryText(e);
    const hash = entryHash(prev, text);
    rows.push({
      case_id: 'C-1',
      seq,
      at,
      actor: 'amy',
      action: 'step',
      step: `s${seq}`,
      entry: text,
      prev_hash: prev,
      hash,
    });
    prev = hash;
  }
  return rows;
}

describe('verifyChain', () => {
  it('accepts an untouched chain', () => {
    expect(verifyChain(chain(4))).toEqual({ ok: true, entries: 4 });
  });
  it('names the first bad entry: changed text, changed column, a gap, a rewritten link', () => {
    const text = chain(4);
    text[2] = { ...text[2]!, entry: text[2]!.entry.replace('"n":3', '"n":30') };
    expect(verifyChain(text)).toMatchObject({
      ok: false,
      seq: 3,
      problem: 'its hash does not match its text',
    });
    const column = chain(4);
    column[1] = { ...column[1]!, actor: 'mallory' };
    expect(verifyChain(column)).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'its columns differ from its hashed text',
    });
    const gap = chain(4);
    gap.splice(1, 1);
    expect(verifyChain(gap)).toMatchObject({ ok: false, seq: 3, problem: 'entry 2 is missing (found 3)' });
    const link = chain(3);
    link[1] = { ...link[1]!, prev_hash: Buffer.alloc(32) };
    expect(verifyChain(link)).toMatchObject({ ok: false, seq: 2 });
  });
});

/** Entries of several cases interleaved as they were written, linked in one chain over all cases. */
function linked(cases: HistoryRow[][]): GlobalLinkRow[] {
  const written = cases.flat().sort((a, b) => a.seq - b.seq || a.case_id.localeCompare(b.case_id));
  let prev: Buffer | null = null;
  return written.map((r, i) => {
    const ghash = globalHash(prev, r.hash);
    const row: GlobalLinkRow = {
      case_id: r.case_id,
      seq: r.seq,
      gseq: String(i + 1),
      gprev: prev,
      ghash,
      hash: r.hash,
    };
    prev = ghash;
    return row;
  });
}
const ofCase = (id: string, n: number) =>
  chain(n).map((r) => ({ ...r, case_id: id, hash: entryHash(Buffer.from(id), r.entry) }));

describe('verifyGlobalChain', () => {
  it('accepts the untouched chain over all cases', () => {
    const rows = linked([ofCase('C-1', 3), ofCase('C-2', 2), ofCase('C-3', 3)]);
    expect(verifyGlobalChain(rows)).toEqual({ ok: true, entries: 8 });
  });
  it('names the entry after a deleted case, a deleted entry, or a rewritten link', () => {
    // C-1 1, C-2 1, C-3 1, C-1 2, C-2 2, C-3 2, ...: C-2 deleted outright leaves gaps at 2 and 5.
    const rows = linked([ofCase('C-1', 3), ofCase('C-2', 2), ofCase('C-3', 3)]);
    expect(verifyGlobalChain(rows.filter((r) => r.case_id !== 'C-2'))).toEqual({
      ok: false,
      caseId: 'C-3',
      seq: 1,
      problem: 'entry 2 of the chain over all cases is missing (found 3): a case or an entry was deleted',
    });
    expect(verifyGlobalChain(rows.filter((_, i) => i !== 6))).toMatchObject({
      ok: false,
      caseId: 'C-3',
      seq: 3,
    });
    const relinked = rows.map((r, i) => (i === 4 ? { ...r, gprev: Buffer.alloc(32) } : r));
    expect(verifyGlobalChain(relinked)).toMatchObject({ ok: false, caseId: 'C-2', seq: 2 });
    const rehashed = rows.map((r, i) => (i === 4 ? { ...r, hash: Buffer.alloc(32) } : r));
    expect(verifyGlobalChain(rehashed)).toMatchObject({
      ok: false,
      caseId: 'C-2',
      seq: 2,
      problem: 'its ghash does not match its hash',
    });
  });
});

import { entryHash, entryText, verifyChain, type HistoryEntry, type HistoryRow } from './history';

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

/**
 * BinaryRows, COPY's binary format (issue 12: the sink's backend CPU). Its rows are read back here
 * by a reader written from PostgreSQL's documentation of the format (COPY, "Binary Format"; array_recv
 * for text[]), so a wrong length, byte order, epoch or array header shows as a different value.
 */
import { BinaryRows } from './copy';

type Value = string | number | null | string[];
type Kind = 'text' | 'time' | 'int8' | 'textArray';

/** Reads `rows` of the given field kinds back into values (times and bigints as numbers). */
function readRows(buf: Buffer, kinds: Kind[]): Value[][] {
  const rows: Value[][] = [];
  let at = 0;
  const int32 = () => ((at += 4), buf.readInt32BE(at - 4));
  const int64 = () => {
    const high = buf.readInt32BE(at);
    const low = buf.readUInt32BE(at + 4);
    at += 8;
    return high * 2 ** 32 + low;
  };
  const textOf = (n: number) => ((at += n), buf.toString('utf8', at - n, at));
  while (at < buf.length) {
    const fields = buf.readInt16BE(at);
    at += 2;
    expect(fields).toBe(kinds.length);
    const row: Value[] = [];
    for (const kind of kinds) {
      const n = int32();
      if (n === -1) row.push(null);
      else if (kind === 'text') row.push(textOf(n));
      else if (kind === 'int8' || kind === 'time') {
        expect(n).toBe(8);
        const v = int64();
        row.push(kind === 'time' ? v / 1000 + Date.UTC(2000, 0, 1) : v);
      } else {
        const end = at + n;
        const dims = int32();
        expect(int32()).toBe(0); // no NULLs
        expect(int32()).toBe(25); // text
        const items: string[] = [];
        if (dims === 1) {
          const count = int32();
          expect(int32()).toBe(1); // lower bound
          for (let i = 0; i < count; i++) items.push(textOf(int32()));
        } else expect(dims).toBe(0);
        expect(at).toBe(end);
        row.push(items);
      }
    }
    rows.push(row);
  }
  return rows;
}

const KINDS: Kind[] = ['text', 'time', 'int8', 'textArray', 'text'];

function write(out: BinaryRows, [text, time, int8, array, last]: Value[]): void {
  out
    .row(KINDS.length)
    .text(text as string | null)
    .time(time as number | null)
    .int8(int8 as number)
    .textArray(array as string[])
    .text(last as string | null);
}

describe('BinaryRows', () => {
  it('writes texts, times, bigints and text arrays that read back as they were', () => {
    const rows: Value[][] = [
      ['plain', Date.UTC(2026, 0, 5, 6, 0, 0, 123), 1, ['a', 'b'], null],
      ['tab\tnew\nline\r\\N \\ back', Date.UTC(2000, 0, 1), 0, [], ''],
      ['ü€😀 and a lone \u00e9', Date.UTC(1999, 11, 31, 23, 59, 59, 999), -1, ['😀', ''], 'x'],
      [null, null, 2 ** 53 - 1, ['ni:///sha-256;ab?ver=CBV2.0'], 'end'],
      ['before 1970', Date.UTC(1960, 5, 1), -(2 ** 40) - 7, ['x'.repeat(300)], null],
    ];
    const out = new BinaryRows();
    for (const r of rows) write(out, r);
    expect(readRows(out.take(), KINDS)).toEqual(rows);
  });

  it('writes every text as its length and UTF-8 bytes, ASCII or not, short or long', () => {
    const texts: string[] = [];
    for (const length of [0, 1, 2, 31, 95, 96, 97, 150]) {
      const ascii = Array.from({ length }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join('');
      texts.push(ascii);
      // One character past ASCII at the start, in the middle and at the end: é (2 bytes), € (3), 😀 (4).
      for (const odd of ['é', '€', '😀', '\u007f', '\u0080'])
        for (const at of [0, length >> 1, length]) texts.push(ascii.slice(0, at) + odd + ascii.slice(at));
    }
    const out = new BinaryRows();
    for (const t of texts) out.text(t);
    const expected = Buffer.concat(
      texts.flatMap((t) => {
        const bytes = Buffer.from(t, 'utf8');
        const length = Buffer.alloc(4);
        length.writeInt32BE(bytes.length);
        return [length, bytes];
      }),
    );
    expect(out.take().equals(expected)).toBe(true);
  });

  it('keeps what it handed out when it grows, even in the middle of an array', () => {
    const out = new BinaryRows();
    const taken: { buf: Buffer; row: Value[] }[] = [];
    // Rows of ~3-40 KB, so the buffer (64 KB at first) grows several times, some of them inside an array.
    for (let i = 0; i < 60; i++) {
      const row: Value[] = [
        `row ${i} ${'é'.repeat(i * 97)}`,
        Date.UTC(2026, 0, 1) + i * 1000,
        i,
        Array.from({ length: i % 7 }, (_, j) => `${j}${'u'.repeat(i * 53)}`),
        i % 2 ? null : `${i}`,
      ];
      write(out, row);
      if (i % 3 === 2) taken.push({ buf: out.take(), row });
      else taken.push({ buf: Buffer.alloc(0), row }); // taken with the next one
    }
    taken.push({ buf: out.take(), row: [] });
    const all = Buffer.concat(taken.map((t) => t.buf));
    expect(readRows(all, KINDS)).toEqual(taken.filter((t) => t.row.length > 0).map((t) => t.row));
  });

  it('copies fields encoded once into many rows, as if each row had written them, across growth', () => {
    const shared = new BinaryRows();
    const out = new BinaryRows();
    const expected: Value[][] = [];
    for (let i = 0; i < 40; i++) {
      // A time and two texts shared by three rows, the last text long enough to make both grow.
      const time = Date.UTC(2026, 0, 1) + i;
      const long = `${i}${'ü'.repeat(i * 400)}`;
      const encoded = shared.time(time).text(`event ${i}`).text(long).take();
      for (const role of ['epc', 'child', 'parent']) {
        out.row(4).text(role).fields(encoded);
        expected.push([role, time, `event ${i}`, long]);
      }
    }
    const kinds: Kind[] = ['text', 'time', 'text', 'text'];
    expect(readRows(out.take(), kinds)).toEqual(expected);
  });
});

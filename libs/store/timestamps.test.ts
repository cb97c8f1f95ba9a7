/**
 * parseTimestamptz must give exactly what node-pg's own parser gives, for every text: the values a
 * UTC session prints (read here) and everything else (handed to node-pg's parser).
 */
import pg from 'pg';
import { parseTimestamptz, storeTypes } from './timestamps';

const nodePg = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;

/** Both results, comparable: a Date by its time (NaN for an invalid one), anything else as it is. */
const seen = (v: unknown) => (v instanceof Date ? { date: v.getTime() } : { value: v });

function expectSame(text: string) {
  const ours = parseTimestamptz(text);
  expect({ text, ...seen(ours) }).toEqual({ text, ...seen(nodePg(text)) });
  if (nodePg(text) instanceof Date) expect(ours).toBeInstanceOf(Date);
}

/** A random UTC session's text as PostgreSQL prints it: trailing zeros of the fraction dropped. */
function printed(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
}

describe('parseTimestamptz', () => {
  it('reads what a UTC session prints exactly as node-pg does, years 100 to 9999', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const from = Date.UTC(100, 0, 1);
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 50_000; i++) {
      const ms = Math.floor(from + rnd() * (to - from));
      // Whole seconds, whole milliseconds and microseconds, all common in a store.
      const kind = i % 3;
      const at = kind === 0 ? ms - (ms % 1000) : ms;
      expectSame(printed(at, kind === 2 ? Math.floor(rnd() * 1000) : 0));
    }
  });

  it('reads every fraction of one to six digits as node-pg does', () => {
    for (const len of [1, 2, 3, 4, 5, 6]) {
      const n = 10 ** len;
      for (let i = 0; i < n; i += len > 4 ? 37 : 1)
        expectSame(`2026-12-01 10:34:56.${String(i).padStart(len, '0')}+00`);
    }
  });

  it('leaves every other shape to node-pg, with its result', () => {
    for (const text of [
      '2026-12-01 10:34:56+05:30',
      '2026-12-01 10:34:56.5-08',
      '2026-12-01 10:34:56+00:00:30',
      '0044-03-15 12:00:00+00',
      '0099-12-31 23:59:59.999+00',
      '0100-01-01 00:00:00+00',
      '0044-03-15 12:00:00+00 BC',
      '12026-12-01 10:34:56+00',
      'infinity',
      '-infinity',
      '2026-12-01',
      '2026-12-01T10:34:56+00',
      '2026-12-01 10:34:56.+00',
      '2026-12-01 10:34:56.1234567+00',
      '2026-12-01 10:34:5x+00',
      '2026-1a-01 10:34:56+00',
      '2026-12-01 10:34:56.12a4+00',
      '2026-12-01 10:34:56Z',
      '2026-12-01 10:34:56+01',
      '2026-12-01 10:34:56-00',
      '2026-12-01 24:00:00+00',
      '2026-02-30 10:34:56+00',
      '',
      'not a time',
    ])
      expectSame(text);
  });

  it("is what the store's clients use for timestamptz, and node-pg's parsers for the rest", () => {
    expect(storeTypes.getTypeParser(1184, 'text')).toBe(parseTimestamptz);
    expect(storeTypes.getTypeParser(1184)).toBe(parseTimestamptz);
    expect(storeTypes.getTypeParser(1114, 'text')).toBe(pg.types.getTypeParser(1114, 'text'));
    expect(storeTypes.getTypeParser(20, 'text')).toBe(pg.types.getTypeParser(20, 'text'));
    expect(storeTypes.getTypeParser(1184, 'binary')).toBe(pg.types.getTypeParser(1184, 'binary'));
  });
});

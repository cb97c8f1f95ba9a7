/**
 * copyField without its regular expression (issue 12: the fused process's CPU). Differential: the
 * earlier implementation, kept here as it was, and the current one give the same COPY text for
 * generated texts (every escaped character, runs of them, `\N` itself, astral characters, lone
 * surrogates, long texts) and for the ledger's JSON text of the demo stream's events.
 */
import { avroType, roundTripOf } from '../avro';
import { generateDemo, prng } from '../demo';
import { normalize } from '../sources';
import { copyField, copyRow } from './copy';

const SPECIAL = /[\\\n\r\t]/;

/** copyField as it was. */
function copyFieldBefore(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

const pieces = [
  '\\',
  '\n',
  '\r',
  '\t',
  '\\N',
  'N',
  'n',
  'a',
  ' ',
  '"',
  '\u00e9',
  '\ud83d\ude00',
  '\ud800',
  '\udc00',
  '\u0000',
  'urn:epc:id:sgtin:',
];

describe('copyField', () => {
  it('gives the text the regular-expression replace gave, for generated texts', () => {
    const rand = prng(17);
    let escaped = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rand() ** 2 * (i % 10 === 0 ? 3_000 : 40));
      let text = '';
      for (let j = 0; j < n; j++) text += pieces[Math.floor(rand() * pieces.length)];
      const before = copyFieldBefore(text);
      expect(copyField(text)).toBe(before);
      if (before !== text) escaped++;
    }
    expect(escaped).toBeGreaterThan(10_000);
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField('a\\b\nc\rd\te\\\\n')).toBe('a\\\\b\\nc\\rd\\te\\\\\\\\n');
  });

  it('gives the same ledger rows for the demo stream (the JSON text with its escapes)', () => {
    const type = avroType('serialization-event');
    let withBackslash = 0;
    for (const [i, r] of generateDemo({ events: 2_000, seed: 9 }).entries()) {
      if (Buffer.isBuffer(r.value)) continue;
      let event;
      try {
        event = roundTripOf(type)(
          normalize(r.topic, r.value, { topic: r.topic, partition: 0, offset: i, schemaId: 1 }),
        );
      } catch {
        continue;
      }
      const text = JSON.stringify(event);
      if (text.includes('\\')) withBackslash++;
      const fields = [text, (event as { eventId: string }).eventId, null, `a\tb${i}`];
      expect(copyRow(fields)).toBe(`${fields.map(copyFieldBefore).join('\t')}\n`);
    }
    expect(withBackslash).toBeGreaterThan(100);
  });
});

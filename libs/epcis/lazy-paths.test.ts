/**
 * The door's checks build the path of a refused value only when they refuse it, and textProblem
 * asks String.prototype.isWellFormed before its regular expression (issue 12: the validator's CPU
 * per record). Differential: the earlier implementations, kept here as they were, and the current
 * ones must refuse the same generated values (valid ones, and ones with NUL, lone surrogates,
 * non-finite numbers, over-long texts and lists, bad keys at any depth) with the same reasons.
 */
import { InvalidInputError, type Reason } from '../errors';
import { prng } from '../demo';
import { checkRecord } from '../sources';
import { epcisError } from './errors';
import { checkValue, inputLimits, textProblem } from './guard';
import { toSerializationEvent } from './map';

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** textProblem before the isWellFormed fast path. */
function textProblemBefore(text: string): string | null {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return `contains NUL (U+0000) at character ${nul + 1}`;
  const lone = loneSurrogate.exec(text);
  if (lone !== null) {
    const c = text.charCodeAt(lone.index);
    return `contains a lone surrogate U+${c.toString(16).toUpperCase()} at character ${lone.index + 1} (not Unicode text)`;
  }
  return null;
}

/** checkValue as it was: every value visited carried its path text. */
function checkValueBefore(value: unknown, path = '$'): void {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length > 0) {
    const [v, where] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblemBefore(v);
      if (problem !== null) throw epcisError('INPUT_TEXT_INVALID', `${where} ${problem}`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        throw epcisError('INPUT_NUMBER_INVALID', `${where} is not a finite number (it overflows a double)`);
    } else if (Array.isArray(v)) {
      if (v.length > inputLimits.maxListItems) {
        throw epcisError(
          'INPUT_TOO_LARGE',
          `${where} lists ${v.length} items; at most ${inputLimits.maxListItems} (split the document or the event)`,
        );
      }
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${where}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        const problem = textProblemBefore(key);
        if (problem !== null)
          throw epcisError('INPUT_TEXT_INVALID', `${where}: the key ${JSON.stringify(key)} ${problem}`);
        stack.push([obj[key], `${where}.${key}`]);
      }
    }
  }
}

/** checkRecord as it was (libs/sources/adapter.ts): the path text built for every value. */
function checkRecordBefore(source: string, record: unknown, maxChars: number | null): void {
  const reasons: Reason[] = [];
  const walk = (v: unknown, where: string) => {
    if (typeof v === 'string') {
      const problem = textProblemBefore(v);
      if (problem !== null)
        reasons.push({ code: 'INPUT_TEXT_INVALID', message: `${source} ${where} ${problem}` });
      else if (maxChars !== null && v.length > maxChars) {
        reasons.push({
          code: 'IDENTIFIER_TOO_LONG',
          message: `${source} ${where} is ${v.length} characters long; at most ${maxChars}`,
        });
      }
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v))
        reasons.push({ code: 'INPUT_NUMBER_INVALID', message: `${source} ${where} is not a finite number` });
    } else if (Array.isArray(v)) {
      if (v.length > inputLimits.maxListItems) {
        reasons.push({
          code: 'INPUT_TOO_LARGE',
          message: `${source} ${where} lists ${v.length} items; at most ${inputLimits.maxListItems}`,
        });
        return;
      }
      v.forEach((item, i) => walk(item, `${where}[${i}]`));
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) walk(child, where === '' ? key : `${where}.${key}`);
    }
  };
  walk(record, '');
  if (reasons.length > 0) throw new InvalidInputError(reasons);
}

const pieces = [
  'a',
  'Z',
  '0',
  '9',
  '(01)',
  '/',
  ':',
  ' ',
  'é',
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '😀',
];

function text(rnd: () => number, bad: boolean): string {
  const n = Math.floor(rnd() * 12);
  let s = '';
  for (let i = 0; i < n; i++) {
    const p = pieces[Math.floor(rnd() * pieces.length)]!;
    // Mostly good text; NUL and surrogate halves only where bad values are asked for.
    s += !bad && (p === '\u0000' || (p.length === 1 && p >= '\ud800' && p <= '\udfff')) ? 'x' : p;
  }
  if (bad && rnd() < 0.05) s += 'y'.repeat(inputLimits.maxIdentifierChars);
  return s;
}

function value(rnd: () => number, depth: number, bad: boolean): unknown {
  const r = rnd();
  if (depth <= 0 || r < 0.4) return text(rnd, bad && rnd() < 0.2);
  if (r < 0.5) {
    const n = rnd() < 0.5 ? Math.floor(rnd() * 1000) - 500 : rnd() * 1e6;
    return bad && rnd() < 0.1 ? [Infinity, -Infinity, NaN][Math.floor(rnd() * 3)] : n;
  }
  if (r < 0.55) return rnd() < 0.5 ? null : rnd() < 0.5;
  if (r < 0.75) {
    if (bad && rnd() < 0.01) return new Array<string>(inputLimits.maxListItems + 1).fill('a');
    return Array.from({ length: Math.floor(rnd() * 5) }, () => value(rnd, depth - 1, bad));
  }
  const obj: Record<string, unknown> = {};
  const keys = Math.floor(rnd() * 5);
  for (let i = 0; i < keys; i++) obj[text(rnd, bad && rnd() < 0.1) || `k${i}`] = value(rnd, depth - 1, bad);
  return obj;
}

/** What a check does with a value: nothing, or the reasons it throws. */
function outcome(check: () => void): Reason[] | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof InvalidInputError) return [...err.reasons];
    throw err;
  }
}

describe('the door checks, before and after their paths were built lazily', () => {
  const rnd = prng(12);
  const values = Array.from({ length: 3000 }, (_, i) => value(rnd, 5, i % 3 !== 0));

  it('textProblem gives the same answer as before on generated texts', () => {
    const texts = Array.from({ length: 20000 }, () => text(rnd, rnd() < 0.5));
    let refused = 0;
    for (const t of texts) {
      expect(textProblem(t)).toBe(textProblemBefore(t));
      if (textProblemBefore(t) !== null) refused++;
    }
    // The generator must make both kinds, or the comparison says little.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(texts.length - 1000);
  });

  it('checkValue refuses the same values with the same reason and path', () => {
    let refused = 0;
    for (const v of values) {
      const before = outcome(() => checkValueBefore(v, '$.event'));
      expect(outcome(() => checkValue(v as never, '$.event'))).toEqual(before);
      if (before !== null) refused++;
    }
    expect(refused).toBeGreaterThan(300);
    expect(refused).toBeLessThan(values.length - 300);
  });

  it('checkRecord gives the same reasons, with and without an identifier length limit', () => {
    let refused = 0;
    for (const v of values) {
      for (const maxChars of [null, 12, inputLimits.maxIdentifierChars]) {
        const before = outcome(() => checkRecordBefore('MES', v, maxChars));
        expect(outcome(() => checkRecord('MES', v, { maxChars }))).toEqual(before);
        if (before !== null) refused++;
      }
    }
    expect(refused).toBeGreaterThan(1000);
  });
});

describe("the mapping's messages name the item at fault", () => {
  const lineage = { topic: 't', partition: 0, offset: 0, schemaId: 1 };
  const base = {
    type: 'ObjectEvent',
    action: 'OBSERVE',
    eventTime: '2025-06-01T10:00:00.000+02:00',
    eventTimeZoneOffset: '+02:00',
  };
  const good = (i: number) => `https://id.gs1.org/01/09506000134352/21/S${i}`;
  const reasonsOf = (event: Record<string, unknown>) =>
    outcome(() => toSerializationEvent(event as never, { lineage }));

  it.each([0, 3, 7])('item %i (from 0) of eight EPCs, broken in each way the checks know', (at) => {
    const list = (bad: unknown) => Array.from({ length: 8 }, (_, i) => (i === at ? bad : good(i)));
    expect(reasonsOf({ ...base, epcList: list(42) })).toEqual([
      {
        code: 'EPCIS_MALFORMED',
        message: `event.epcList[${at}] must be an identifier (a non-empty string)`,
      },
    ]);
    expect(reasonsOf({ ...base, childEPCs: list('x'.repeat(inputLimits.maxIdentifierChars + 1)) })).toEqual([
      {
        code: 'IDENTIFIER_TOO_LONG',
        message: `event.childEPCs[${at}] is ${inputLimits.maxIdentifierChars + 1} characters long; identifiers may have at most ${inputLimits.maxIdentifierChars}`,
      },
    ]);
    expect(reasonsOf({ ...base, epcList: list('bad\u0000') })).toEqual([
      {
        code: 'INPUT_TEXT_INVALID',
        message: `event.epcList[${at}] contains NUL (U+0000) at character 4`,
      },
    ]);
    const broken = reasonsOf({ ...base, epcList: list('https://id.gs1.org/01/09506000134353/21/S1') });
    expect(broken).not.toBeNull();
    expect(broken![0]!.message.startsWith(`epcList[${at}]: `)).toBe(true);
    const quantities = Array.from({ length: 8 }, (_, i) =>
      i === at ? { epcClass: 'urn:epc:class:lgtin:4012345.011111.L1', quantity: -1 } : { epcClass: 'c' },
    );
    expect(reasonsOf({ ...base, quantityList: quantities })).toEqual([
      { code: 'QUANTITY_NEGATIVE', message: `event.quantityList[${at}].quantity -1 is negative` },
    ]);
    const sources = Array.from({ length: 8 }, (_, i) => (i === at ? { source: 1 } : { source: 's' }));
    expect(reasonsOf({ ...base, sourceList: sources })).toEqual([
      {
        code: 'EPCIS_MALFORMED',
        message: `event.sourceList[${at}] must be an object with source (a string)`,
      },
    ]);
  });
});

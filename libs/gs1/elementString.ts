/**
 * GS1 element strings (General Specifications 3.1 and 7.8): `(01)09506000134352(21)12345` for
 * people, or the scanned form with no brackets, where a variable-length field ends with FNC1 (the
 * GS character, 0x1D) unless it is last, optionally led by a symbology identifier such as `]d2`.
 */
import { aiSpecs, needsSeparator } from './ais';
import { Gs1Error, quote } from './errors';
import { aiOrder, Gs1Key, keyFromAis } from './keys';

export const GS = '\x1d';
/** GS1-128, GS1 DataBar, GS1 DataMatrix, GS1 QR Code, GS1 DotCode. */
const symbologyIds = /^\](C1|e0|d2|Q3|J1)/;

export function looksLikeElementString(input: string): boolean {
  return /^\(\d{2,4}\)/.test(input) || symbologyIds.test(input) || input.startsWith(GS);
}

export function parseElementString(input: string): Gs1Key {
  const data = input.replace(symbologyIds, '');
  const entries = data.startsWith('(') ? bracketed(data, input) : unbracketed(data, input);
  if (entries.length === 0) throw new Gs1Error('GS1_SYNTAX', `empty GS1 element string ${quote(input)}`);
  return keyFromAis(entries, input);
}

/** An AI at `at` in a bracket-free string: GS1 AIs are prefix-free, so the first match is the one. */
function aiAt(data: string, at: number): string | undefined {
  for (const len of [2, 3, 4]) {
    const ai = data.slice(at, at + len);
    if (aiSpecs.has(ai)) return ai;
  }
  return undefined;
}

function unbracketed(data: string, input: string): [string, string][] {
  const entries: [string, string][] = [];
  let at = data.startsWith(GS) ? 1 : 0;
  while (at < data.length) {
    const ai = aiAt(data, at);
    if (ai === undefined) {
      throw new Gs1Error(
        'GS1_SYNTAX',
        `unknown GS1 Application Identifier at ${quote(data.slice(at, at + 4))} in ${quote(input)}`,
      );
    }
    at += ai.length;
    const fixed = aiSpecs.get(ai)?.fixedLength;
    const end =
      fixed !== undefined ? at + fixed : data.indexOf(GS, at) < 0 ? data.length : data.indexOf(GS, at);
    if (end > data.length) {
      throw new Gs1Error(
        'GS1_LENGTH',
        `AI (${ai}) needs ${fixed} digits, the input ends first: ${quote(input)}`,
      );
    }
    entries.push([ai, data.slice(at, end)]);
    at = end;
    // A separator after a fixed-length field is redundant but harmless.
    if (data[at] === GS) at++;
  }
  return entries;
}

function bracketed(data: string, input: string): [string, string][] {
  const entries: [string, string][] = [];
  // `(` is also a legal data character, so a new field starts only at "(known AI)".
  const fieldStart = /\((\d{2,4})\)/g;
  const starts: { ai: string; index: number; end: number }[] = [];
  for (const m of data.matchAll(fieldStart)) {
    if (aiSpecs.has(m[1]) || starts.length === 0) {
      starts.push({ ai: m[1], index: m.index, end: m.index + m[0].length });
    }
  }
  if (starts.length === 0 || starts[0].index !== 0) {
    throw new Gs1Error('GS1_SYNTAX', `element string must start with "(AI)": ${quote(input)}`);
  }
  starts.forEach((s, i) => entries.push([s.ai, data.slice(s.end, starts[i + 1]?.index ?? data.length)]));
  return entries;
}

export interface ElementStringOptions {
  /** `(01)...(21)...` for people (default) or the FNC1-separated form a barcode carries. */
  brackets?: boolean;
}

export function formatElementString(key: Gs1Key, { brackets = true }: ElementStringOptions = {}): string {
  const order = aiOrder(key);
  if (brackets) return order.map((ai) => `(${ai})${key.ai[ai]}`).join('');
  return order
    .map((ai, i) => `${ai}${key.ai[ai]}${i < order.length - 1 && needsSeparator(ai) ? GS : ''}`)
    .join('');
}

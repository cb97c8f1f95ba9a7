/**
 * roundTripOf (issue 12: the fused process's CPU) against avsc's own round trip, kept here as the
 * fused stage did it: `type.fromBuffer(type.toBuffer(value))`. On generated values - the demo
 * stream's events as the validator makes them, the enricher's output, avsc's random values of
 * every schema, and those values broken in every way the shortcut must not take (missing fields,
 * wrong types, lone surrogates, -0, longs near 2^52 and beyond, ints out of range, unknown enum
 * symbols, holes, Buffers and arrays for records) - both give the same value (same classes, same
 * keys in the same order, same numbers to the sign of zero) or throw the same error.
 */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { AVRO_DIR, avroType, roundTripOf } from '.';
import { generateDemo, prng } from '../demo';
import { normalize } from '../sources';

/** The round trip as it was. */
const before = (type: avro.Type, value: unknown): unknown => type.fromBuffer(type.toBuffer(value));

type Outcome = { value: unknown } | { error: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { value: f() };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/** Same value: same prototypes, same keys in the same order, numbers by Object.is (-0 and NaN). */
function same(a: unknown, b: unknown, where = '$'): string | null {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? null : `${where}: ${String(a)} against ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${where}: another class`;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${where}: keys ${ka.join()} against ${kb.join()}`;
  for (const k of ka) {
    const d = same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function compare(type: avro.Type, value: unknown): 'value' | 'error' {
  const old = outcome(() => before(type, value));
  const now = outcome(() => roundTripOf(type)(value));
  if ('error' in old) {
    expect(now).toEqual(old);
    return 'error';
  }
  if (!('value' in now)) throw new Error(`the shortcut threw ${now.error} where avsc gave a value`);
  const d = same(old.value, now.value);
  if (d !== null) throw new Error(`differs at ${d} for ${JSON.stringify(value)}`);
  expect(JSON.stringify(now.value)).toBe(JSON.stringify(old.value));
  return 'value';
}

const odd: unknown[] = [
  undefined,
  null,
  -0,
  0,
  1.5,
  NaN,
  Infinity,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 52 - 1,
  -(2 ** 52) + 1,
  2 ** 52,
  -(2 ** 52),
  9007199254740990,
  -9007199254740990,
  2 ** 60,
  '',
  'ADD',
  'ObjectEvent',
  'constructor',
  'toString',
  'x\ud800y',
  '\udc00',
  'ok \ud83d\ude00 astral',
  'é'.repeat(40),
  'ü€'.repeat(30) + '\ud800',
  'a'.repeat(200),
  true,
  [],
  [null],
  [undefined],
  {},
  { uri: 'u', scheme: 's' },
  Buffer.from('ab'),
  new Date(0),
];

/** Every path to a value inside `v` (objects and arrays), with a setter. */
function slots(v: unknown, out: { get: () => unknown; set: (x: unknown) => void; del: () => void }[] = []) {
  if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) return out;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    out.push({
      get: () => o[k],
      set: (x) => {
        o[k] = x;
      },
      del: () => {
        if (Array.isArray(o)) o[Number(k)] = undefined;
        else delete o[k];
      },
    });
    slots(o[k], out);
  }
  return out;
}

/** A deep copy that keeps classes out of it (plain objects), or keeps them (structuredClone would not). */
const copy = (v: unknown): unknown => {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return v.map(copy);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
};

/** `n` broken variants of `value`: one slot set to an odd value, deleted, or a key added. */
function variants(value: unknown, n: number, rand: () => number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = copy(value);
    const s = slots(v);
    if (s.length === 0) break;
    const slot = s[Math.floor(rand() * s.length)]!;
    const r = rand();
    if (r < 0.15) slot.del();
    else if (r < 0.2 && typeof slot.get() === 'object' && slot.get() !== null)
      (slot.get() as Record<string, unknown>).extra = 'kept out';
    else slot.set(odd[Math.floor(rand() * odd.length)]);
    out.push(v);
  }
  return out;
}

/** Events as the validator hands them on (and the enricher, with its one field). */
function pipelineEvents(seed: number, n: number): unknown[] {
  const rand = prng(seed);
  const out: unknown[] = [];
  for (const [i, r] of generateDemo({ events: n, seed, invalidRate: 0.1 }).entries()) {
    if (Buffer.isBuffer(r.value)) continue;
    let event;
    try {
      event = normalize(r.topic, r.value, { topic: r.topic, partition: i % 12, offset: i, schemaId: 3 });
    } catch {
      continue;
    }
    out.push(event);
    out.push({
      ...event,
      enrichment: {
        productName: rand() < 0.5 ? `Product ${i} \u00e9\ud83d\udce6` : null,
        siteName: 'Plant 1',
        siteCountry: rand() < 0.5 ? 'DE' : null,
        deviceName: null,
        operatorName: rand() < 0.2 ? undefined : 'op',
      },
    });
  }
  return out;
}

describe('roundTripOf against avsc', () => {
  const event = avroType('serialization-event');

  it('gives the validated and enriched events avsc gives (demo stream, 2,000 events)', () => {
    const events = pipelineEvents(7, 2_000);
    expect(events.length).toBeGreaterThan(2_000);
    for (const e of events) expect(compare(event, e)).toBe('value');
    // And without encoding them: these take the shortcut, not avsc's round trip.
    const toBuffer = jest.spyOn(avro.Type.prototype, 'toBuffer');
    try {
      for (const e of events) roundTripOf(event)(e);
      expect(toBuffer).not.toHaveBeenCalled();
    } finally {
      toBuffer.mockRestore();
    }
    // Through twice (a decoded record as input) is the same as once.
    for (const e of events.slice(0, 200)) expect(compare(event, before(event, e))).toBe('value');
  });

  it('gives the same value or the same error for broken events', () => {
    const rand = prng(11);
    const counts = { value: 0, error: 0 };
    for (const e of pipelineEvents(3, 600)) for (const v of variants(e, 8, rand)) counts[compare(event, v)]++;
    // Both kinds are exercised.
    expect(counts.value).toBeGreaterThan(500);
    expect(counts.error).toBeGreaterThan(500);
  });

  it('agrees on random values of every schema, whole and broken', () => {
    const rand = prng(23);
    const files = ['', 'sources']
      .flatMap((dir) =>
        fs
          .readdirSync(path.join(AVRO_DIR, dir))
          .filter((f) => f.endsWith('.avsc'))
          .map((f) => path.join(dir, f.replace(/\.avsc$/, ''))),
      )
      .sort();
    expect(files.length).toBeGreaterThan(8);
    for (const file of files) {
      const type = avroType(file);
      for (let i = 0; i < 150; i++) {
        const v = type.random();
        compare(type, v);
        compare(type, copy(v));
        for (const b of variants(v, 3, rand)) compare(type, b);
      }
    }
  });

  it('agrees on each kind of value alone', () => {
    const kinds: avro.Schema[] = [
      'null',
      'boolean',
      'int',
      'long',
      'double',
      'float',
      'string',
      'bytes',
      { type: 'enum', name: 'E', symbols: ['A', 'B'] },
      { type: 'array', items: 'long' },
      { type: 'map', values: 'int' },
      ['null', 'string'],
      ['null', 'long'],
      ['string', 'long'],
      ['null', { type: 'array', items: 'string' }],
      { type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] },
    ];
    for (const schema of kinds) {
      const type = avro.Type.forSchema(schema);
      for (const v of odd) compare(type, copy(v));
      for (let i = 0; i < 200; i++) {
        const r = prng(i)();
        compare(type, (r - 0.5) * 2 ** (Math.floor(r * 70) - 5));
        compare(type, Math.round((r - 0.5) * 2 ** Math.floor(r * 64)));
      }
    }
  });
});

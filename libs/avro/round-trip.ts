/**
 * A value's Avro round trip, `type.fromBuffer(type.toBuffer(value))`, without the bytes.
 *
 * The fused deployment hands each value on in memory as its topic's consumer would decode it
 * (libs/runtime/fused.ts): the round trip was about a tenth of the fused process's busy samples,
 * encoding and decoding every string of every validated event. For the types the pipeline's
 * schemas use, the decoded value of a valid value is known without encoding it:
 *
 * - a record is a new record of the type (`recordConstructor`), its fields in schema order, each
 *   field decoded in turn; a missing field (undefined) is its default's round trip;
 * - a string that is well-formed UTF-16 comes back equal; an enum symbol of the type, equal;
 * - an int comes back as `v | 0` and a long of magnitude below 2^52 as `v + 0` (-0 is written as
 *   0); a double and a boolean come back as they are; null as null;
 * - an array is its items' round trips; an unwrapped union of null and one other type, null or
 *   that type's round trip.
 *
 * Anything else - a value avsc would refuse or write differently (a lone surrogate, an int out of
 * range, a long beyond 2^52 where avsc's float arithmetic rounds, a value of the wrong type) or a
 * type not listed (maps, floats, bytes, logical types, other unions) - makes the whole value take
 * avsc's own round trip, which gives the same value or throws the same error as before.
 * `libs/avro/round-trip.test.ts` compares the two on generated values.
 */
import avro from 'avsc';

/** Thrown inside a rebuild when the value is not one the shortcut knows: avsc does it instead. */
const unsure: unique symbol = Symbol('unsure');

type Rebuild = (v: unknown) => unknown;

const cache = new WeakMap<avro.Type, Rebuild>();

/** `type.fromBuffer(type.toBuffer(value))`, the same value (or the same error), cheaper. */
export function roundTripOf(type: avro.Type): Rebuild {
  let fn = cache.get(type);
  if (fn === undefined) {
    const rebuild = compile(type, new Map());
    fn = (value: unknown) => {
      try {
        return rebuild(value);
      } catch (err) {
        if (err !== unsure) throw err;
        return type.fromBuffer(type.toBuffer(value));
      }
    };
    cache.set(type, fn);
  }
  return fn;
}

/** String.prototype.isWellFormed (Node 20; the ES2022 typings do not have it): no lone surrogate. */
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** A value avsc's unions take for a record (not an array, not a Buffer). */
const isRecordValue = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** Longs avsc writes and reads back exactly (its varint goes through doubles beyond 2^52). */
const longLimit = 2 ** 52;

function compile(type: avro.Type, records: Map<avro.Type, Rebuild>): Rebuild {
  switch (type.typeName) {
    case 'null':
      return (v) => {
        if (v !== null) throw unsure;
        return null;
      };
    case 'boolean':
      return (v) => {
        if (typeof v !== 'boolean') throw unsure;
        return v;
      };
    case 'int':
      return (v) => {
        if (typeof v !== 'number' || v !== (v | 0)) throw unsure;
        return v | 0;
      };
    case 'long':
      return (v) => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v <= -longLimit || v >= longLimit) throw unsure;
        return v + 0;
      };
    case 'double':
      return (v) => {
        if (typeof v !== 'number') throw unsure;
        return v;
      };
    case 'string':
      return (v) => {
        if (typeof v !== 'string' || !isWellFormed(v)) throw unsure;
        return v;
      };
    case 'enum': {
      const symbols = new Set((type as avro.types.EnumType).symbols);
      return (v) => {
        if (typeof v !== 'string' || !symbols.has(v)) throw unsure;
        return v;
      };
    }
    case 'array': {
      const items = compile((type as avro.types.ArrayType).itemsType, records);
      return (v) => {
        if (!Array.isArray(v)) throw unsure;
        const n = v.length;
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = items(v[i]);
        return out;
      };
    }
    case 'union:unwrapped': {
      // With null as one branch and one other, a value picks null or that branch, whose own
      // check refuses what avsc's union would refuse (an array for a record, a number for a string).
      const branches = (type as avro.types.UnwrappedUnionType).types;
      if (branches.length !== 2 || branches[0]!.typeName !== 'null') return unknownType;
      const rebuild = compile(branches[1]!, records);
      return (v) => (v === null ? null : rebuild(v));
    }
    case 'record':
      return compileRecord(type as avro.types.RecordType, records);
    default:
      return unknownType;
  }
}

const unknownType: Rebuild = () => {
  throw unsure;
};

function compileRecord(type: avro.types.RecordType, records: Map<avro.Type, Rebuild>): Rebuild {
  const known = records.get(type);
  if (known !== undefined) return known;
  const fields: { name: string; rebuild: Rebuild; field: avro.types.Field }[] = [];
  const Record = type.recordConstructor as new (...values: unknown[]) => unknown;
  const rebuild: Rebuild = (v) => {
    if (!isRecordValue(v)) throw unsure;
    const values = new Array<unknown>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      let x = v[f.name];
      // The writer writes a missing field's default; without one, undefined is refused below.
      if (x === undefined) x = f.field.defaultValue() as unknown;
      values[i] = f.rebuild(x);
    }
    return new Record(...values);
  };
  // Registered before its fields are compiled: a named type may appear again below itself.
  records.set(type, rebuild);
  for (const field of type.fields)
    fields.push({ name: field.name, rebuild: compile(field.type, records), field });
  return rebuild;
}

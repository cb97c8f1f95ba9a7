import avro from 'avsc';
import { wireWriter } from './wire';

const type = avro.Type.forSchema(
  {
    type: 'record',
    name: 'T',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: 'long' },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'tags', type: { type: 'array', items: 'string' } },
    ],
  },
  { wrapUnions: 'auto' },
);

/** The registry client's wire format: magic byte, id, then avsc's toBuffer. */
const registryBytes = (id: number, value: unknown) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, type.toBuffer(value)]);
};

describe('wireWriter', () => {
  it('writes what the registry client writes, for values smaller and far larger than its scratch', () => {
    const writer = wireWriter(64);
    const values = [
      { id: 'a', n: 1, note: null, tags: [] },
      { id: 'é'.repeat(500), n: -(2 ** 40), note: 'x'.repeat(3000), tags: ['t1', 'ü'] },
      { id: 'b', n: 7, note: 'small again', tags: Array.from({ length: 300 }, (_, i) => `tag-${i}`) },
      { id: '', n: 0, note: null, tags: ['c'] },
    ];
    for (const [i, v] of values.entries()) {
      const id = 100 + i;
      expect(writer.write(type, id, v).toString('hex')).toBe(registryBytes(id, v).toString('hex'));
    }
  });

  it('throws for a value the schema refuses, as toBuffer does, and goes on writing', () => {
    const writer = wireWriter();
    expect(() => writer.write(type, 1, { id: 5, n: 1, note: null, tags: [] })).toThrow();
    expect(() => type.toBuffer({ id: 5, n: 1, note: null, tags: [] })).toThrow();
    const ok = { id: 'ok', n: 3, note: null, tags: [] };
    expect(writer.write(type, 2, ok).equals(registryBytes(2, ok))).toBe(true);
  });
});

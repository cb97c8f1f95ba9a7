import { aggregationReasons, childrenToLookUp, type Containment } from './aggregation-rules';
import type { Identifier, SerializationEvent } from '../events';

const id = (uri: string): Identifier => ({
  uri,
  scheme: 'sgtin',
  gtin: null,
  serial: null,
  lot: null,
  sscc: null,
  original: null,
});
const agg = (action: 'ADD' | 'DELETE', parent: string, children: string[], t: number) =>
  ({
    eventType: 'AggregationEvent',
    action,
    parentId: id(parent),
    childEpcs: children.map(id),
    eventTime: t,
  }) as SerializationEvent;
const codes = (batch: (SerializationEvent | null)[], current: Map<string, Containment> = new Map()) =>
  [...aggregationReasons(batch, current)].map(([i, rs]) => [i, rs.map((r) => r.code)]);

describe('aggregation consistency', () => {
  it('refuses packing a unit still inside another case, naming both', () => {
    const current = new Map([['u1', { parent: 'caseA', since: 100 }]]);
    const out = aggregationReasons([agg('ADD', 'caseB', ['u1'], 200)], current);
    expect(out.get(0)?.[0]).toMatchObject({ code: 'CHILD_IN_OTHER_PARENT' });
    expect(out.get(0)?.[0]?.message).toMatch(/u1 is inside caseA .* into caseB/);
  });
  it('accepts packing into the same parent again, and a late event older than the current packing', () => {
    const current = new Map([['u1', { parent: 'caseA', since: 100 }]]);
    expect(codes([agg('ADD', 'caseA', ['u1'], 200)], current)).toEqual([]);
    expect(codes([agg('ADD', 'caseB', ['u1'], 50)], current)).toEqual([]);
  });
  it('follows the batch in order: unpack then repack is fine, double packing is not', () => {
    expect(
      codes([
        agg('ADD', 'caseA', ['u1'], 1),
        agg('DELETE', 'caseA', ['u1'], 2),
        agg('ADD', 'caseB', ['u1'], 3),
      ]),
    ).toEqual([]);
    expect(
      codes([agg('ADD', 'caseA', ['u1'], 1), agg('DELETE', 'caseA', [], 2), agg('ADD', 'caseB', ['u1'], 3)]),
    ).toEqual([]);
    expect(codes([agg('ADD', 'caseA', ['u1'], 1), agg('ADD', 'caseB', ['u1', 'u2'], 3)])).toEqual([
      [1, ['CHILD_IN_OTHER_PARENT']],
    ]);
  });
  it('asks the store only about children being packed', () => {
    expect(childrenToLookUp([agg('ADD', 'p', ['a', 'b'], 1), agg('DELETE', 'p', ['c'], 2), null])).toEqual([
      'a',
      'b',
    ]);
  });
});

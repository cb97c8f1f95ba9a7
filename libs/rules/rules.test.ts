import { validate, type RuleContext } from './rules';
import { canonicalEvent, type Identifier, type SerializationEvent } from '../events';

const id = (uri: string): Identifier => ({
  uri,
  scheme: 'sgtin',
  gtin: '04012345100019',
  serial: uri.slice(-3),
  lot: null,
  sscc: null,
  original: null,
});
const now = Date.UTC(2026, 5, 1);
const ctx: RuleContext = {
  now,
  clockSkewMs: 300_000,
  horizonMs: 365 * 86400_000,
  ownSources: ['MES', 'WMS', 'TMS'],
};

function event(overrides: Partial<SerializationEvent> = {}): SerializationEvent {
  return canonicalEvent({
    eventId: 'ni:///sha-256;00?ver=CBV2.0',
    eventType: 'ObjectEvent',
    action: 'ADD',
    epcList: [id('https://id.gs1.org/01/04012345100019/21/001')],
    eventTime: now - 1000,
    bizStep: 'commissioning',
    disposition: 'active',
    sourceSystem: 'MES',
    lineage: { topic: 't', partition: 0, offset: 0, schemaId: 1 },
    ...overrides,
  });
}
const codes = (e: SerializationEvent) => validate(e, ctx).map((r) => r.code);

describe('validation rules', () => {
  it('accepts a well-formed commissioning event', () => {
    expect(codes(event())).toEqual([]);
  });
  it('refuses an event time beyond the clock-skew tolerance, but not within it', () => {
    expect(codes(event({ eventTime: now + 301_000 }))).toEqual(['TIME_IN_FUTURE']);
    expect(codes(event({ eventTime: now + 299_000 }))).toEqual([]);
  });
  it('refuses an event older than the horizon from our own systems, not from a partner', () => {
    expect(codes(event({ eventTime: now - 366 * 86400_000 }))).toEqual(['TIME_TOO_OLD']);
    expect(codes(event({ eventTime: now - 366 * 86400_000, sourceSystem: 'EPCIS' }))).toEqual([]);
  });
  it('requires an action on object events and none on transformations', () => {
    expect(codes(event({ action: null }))).toEqual(['ACTION_REQUIRED']);
    expect(
      codes(event({ eventType: 'TransformationEvent', action: 'ADD', inputEpcList: [id('x/001')] })),
    ).toEqual(['ACTION_NOT_ALLOWED']);
  });
  it('requires a parent and children for an aggregation ADD', () => {
    expect(codes(event({ eventType: 'AggregationEvent', epcList: [] }))).toEqual(['PARENT_REQUIRED']);
    expect(codes(event({ eventType: 'AggregationEvent', epcList: [], parentId: id('p/999') }))).toEqual([
      'CHILDREN_REQUIRED',
    ]);
  });
  it('refuses a child listed twice or a parent inside itself', () => {
    const c = id('c/001');
    expect(codes(event({ eventType: 'AggregationEvent', parentId: id('p/999'), childEpcs: [c, c] }))).toEqual(
      ['CHILD_REPEATED'],
    );
    expect(codes(event({ eventType: 'AggregationEvent', parentId: c, childEpcs: [c] }))).toEqual([
      'CHILD_IS_PARENT',
    ]);
  });
  it('requires a business transaction on transaction events', () => {
    expect(codes(event({ eventType: 'TransactionEvent' }))).toEqual(['BIZ_TRANSACTION_REQUIRED']);
  });
  it('gives every reason a one-line message', () => {
    for (const r of validate(event({ action: null, eventTime: now + 10 ** 9 }), ctx))
      expect(r.message).toMatch(/^[^\n]{10,}$/);
  });
});

import { formatJourney, localTime, resolveUnitId, type JourneyStep } from '.';
import { UsageError } from '../errors';

describe('localTime', () => {
  it('writes the wall clock at the offset', () => {
    expect(localTime(Date.UTC(2026, 0, 5, 6), '+01:00')).toBe('2026-01-05T07:00:00.000+01:00');
    expect(localTime(Date.UTC(2026, 0, 5, 2), '-06:00')).toBe('2026-01-04T20:00:00.000-06:00');
    expect(localTime(Date.UTC(2026, 0, 5, 2), 'bogus')).toBe('2026-01-05T02:00:00.000Z');
  });
});

describe('resolveUnitId', () => {
  const uri = 'https://id.gs1.org/01/04012345100013/21/U1';
  it('accepts every notation of a unit, and a serial with its GTIN', () => {
    expect(resolveUnitId('U1', { gtin: '04012345100013' }).uri).toBe(uri);
    expect(resolveUnitId('(01)04012345100013(21)U1(10)LOT7').uri).toBe(uri);
    expect(resolveUnitId('urn:epc:id:sgtin:4012345.010001.U1').uri).toBe(uri);
    expect(resolveUnitId(uri).uri).toBe(uri);
  });
  it('says what to give when the id is not one', () => {
    expect(() => resolveUnitId('U1')).toThrow(UsageError);
    expect(() => resolveUnitId('U1')).toThrow(/--gtin/);
    expect(() => resolveUnitId('U1', { gtin: '04012345100012' })).toThrow(/check digit/);
  });
});

describe('formatJourney', () => {
  const step = (over: Partial<JourneyStep>): JourneyStep => ({
    eventId: 'e',
    eventTime: 0,
    eventTimeUtc: '',
    eventTimeZoneOffset: '+00:00',
    eventTimeLocal: '2026-03-03T07:00:00.000-06:00',
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    bizStep: 'arriving',
    disposition: 'in_transit',
    bizLocation: 'https://id.gs1.org/414/4012345000023',
    readPoint: null,
    location: 'https://id.gs1.org/414/4012345000023',
    via: 'https://id.gs1.org/00/340123450000000215',
    ...over,
  });
  it('prints one aligned row per step with the local time and zone', () => {
    const table = formatJourney({
      unit: resolveUnitId('https://id.gs1.org/01/04012345100013/21/U1'),
      steps: [step({}), step({ bizStep: null, eventType: 'AggregationEvent', action: 'DELETE', via: null })],
    }).split('\n');
    expect(table[0]).toMatch(/^journey of https:\/\/id.gs1.org\/01\/04012345100013\/21\/U1 \(2 events/);
    expect(table[3]).toBe(
      '2026-03-03 07:00:00 -06:00  arriving                 in_transit   414/4012345000023  00/340123450000000215',
    );
    expect(table[4]).toBe(
      '2026-03-03 07:00:00 -06:00  AggregationEvent DELETE  in_transit   414/4012345000023',
    );
  });
});

/**
 * The journey store's reference story, as canonical events: a unit packed into a case, the case
 * onto a pallet, the pallet shipped and received at the DC, broken down there, the case unpacked
 * and the unit shipped to a store; a second unit stays in its case on the pallet. The tests of
 * journeys and of the analyst views (and the examples in docs/sql-guide.md) use it.
 */
import { canonicalEvent, type Identifier, type SerializationEvent } from '../events';
import { gs1CheckDigit, toIdentifier } from '../gs1';

const withCheck = (digits: string) => digits + String(gs1CheckDigit(digits));
export const GTIN = withCheck('0401234510001');
export const LOT = 'LOT7';
const unitId = (serial: string): Identifier => toIdentifier(`(01)${GTIN}(21)${serial}(10)${LOT}`);
const ssccId = (ref: string): Identifier =>
  toIdentifier(`(00)${withCheck(`34012345${ref.padStart(9, '0')}`)}`);
const gln = (ref: string) => `https://id.gs1.org/414/${withCheck(`40123450${ref.padStart(4, '0')}`)}`;
export const PLANT = gln('1');
export const DC = gln('2');
export const STORE = gln('3');

let seq = 0;
function ev(over: Partial<SerializationEvent>): SerializationEvent {
  seq++;
  return canonicalEvent({
    eventId: `ni:///sha-256;${(0xa000 + seq).toString(16).padStart(64, '0')}?ver=CBV2.0`,
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    eventTime: 0,
    eventTimeZoneOffset: '+01:00',
    sourceSystem: 'WMS',
    machineId: 'scanner-1',
    lineage: { topic: 'ut.raw.wms.v1', partition: 0, offset: seq, schemaId: 1 },
    ...over,
  });
}
export const at = (day: number, hour: number) => Date.UTC(2026, 2, day, hour);
/** Each place records in its own zone: the plant in Berlin, the DC in Chicago, the store in New York. */
const zoneOf = (place: string) => (place === DC ? '-06:00' : place === STORE ? '-05:00' : '+01:00');
const observe = (id: Identifier, eventTime: number, bizStep: string, bizLocation: string, over = {}) =>
  ev({
    epcList: [id],
    eventTime,
    eventTimeZoneOffset: zoneOf(bizLocation),
    bizStep,
    bizLocation,
    readPoint: bizLocation,
    ...over,
  });
const aggregate = (
  action: 'ADD' | 'DELETE',
  parent: Identifier,
  children: Identifier[],
  eventTime: number,
  bizStep: string,
  bizLocation: string,
) =>
  ev({
    eventType: 'AggregationEvent',
    action,
    parentId: parent,
    childEpcs: children,
    eventTime,
    bizStep,
    bizLocation,
    readPoint: bizLocation,
    eventTimeZoneOffset: zoneOf(bizLocation),
  });

export const unit = unitId('U1');
export const other = unitId('U2'); // stays in its case on the pallet
export const caseA = ssccId('11');
export const caseB = ssccId('12');
export const pallet = ssccId('21');

/** The story's events by name, so that assertions read like it. */
export const story = {
  palletBeforeUse: observe(pallet, at(1, 8), 'inspecting', PLANT),
  commission: observe(unit, at(2, 8), 'commissioning', PLANT, { sourceSystem: 'MES', disposition: 'active' }),
  commissionOther: observe(other, at(2, 8), 'commissioning', PLANT, { sourceSystem: 'MES' }),
  caseBeforePacking: observe(caseA, at(2, 9), 'inspecting', PLANT),
  pack: aggregate('ADD', caseA, [unit], at(2, 10), 'packing', PLANT),
  packOther: aggregate('ADD', caseB, [other], at(2, 10), 'packing', PLANT),
  palletize: aggregate('ADD', pallet, [caseA, caseB], at(2, 11), 'packing', PLANT),
  ship: observe(pallet, at(2, 12), 'shipping', PLANT, { disposition: 'in_transit' }),
  depart: observe(pallet, at(2, 13), 'departing', PLANT, { disposition: 'in_transit' }),
  arrive: observe(pallet, at(3, 13), 'arriving', DC, { disposition: 'in_transit' }), // the tests send it last
  receive: observe(pallet, at(3, 14), 'receiving', DC, { disposition: 'in_progress' }),
  unpalletize: aggregate('DELETE', pallet, [caseA], at(3, 15), 'unpacking', DC),
  palletAfterUnpacking: observe(pallet, at(3, 16), 'storing', DC),
  unpack: aggregate('DELETE', caseA, [], at(3, 17), 'unpacking', DC), // every child
  caseAfterUnpacking: observe(caseA, at(3, 18), 'destroying', DC),
  shipToStore: observe(unit, at(4, 9), 'shipping', DC, { disposition: 'in_transit' }),
  receiveAtStore: observe(unit, at(5, 9), 'receiving', STORE, { disposition: 'sellable_not_accessible' }),
};

/**
 * WMS: ISO-8601 times with offsets, identifiers as the scanner read them (GS1 element strings).
 * PALLETIZE/DEPALLETIZE/UNPACK → AggregationEvent; PICK/SHIP/RECEIVE/PUTAWAY/SELL → ObjectEvent OBSERVE
 * with the matching CBV business step and disposition.
 */
import type { EpcisJsonEvent, SourceAdapter } from './adapter';
import { reportHasNoEvent, requireFields } from './adapter';
import type { CodeVerification, ExceptionReport } from './signal';
import { parseIsoWithOffset } from './time';
import { toDigitalLink } from '../gs1';

export interface WmsMovement {
  movementId: string;
  occurredAt: string;
  warehouseGln: string;
  scannerId: string;
  userId: string | null;
  /** REPORT: the record carries only an exception report (no journey event; see ./floor.ts). */
  movementType:
    'PALLETIZE' | 'DEPALLETIZE' | 'UNPACK' | 'PICK' | 'SHIP' | 'RECEIVE' | 'PUTAWAY' | 'SELL' | 'REPORT';
  container: string | null;
  items: string[];
  orderRef: string | null;
  destinationGln: string | null;
  /** Absent in records written with the previous schema; avsc gives null. */
  verifications?: CodeVerification[] | null;
  exceptionReport?: ExceptionReport | null;
}

const observe: Record<string, { bizStep: string; disposition: string }> = {
  PICK: { bizStep: 'picking', disposition: 'in_progress' },
  SHIP: { bizStep: 'shipping', disposition: 'in_transit' },
  RECEIVE: { bizStep: 'receiving', disposition: 'in_progress' },
  PUTAWAY: { bizStep: 'storing', disposition: 'sellable_accessible' },
  SELL: { bizStep: 'retail_selling', disposition: 'retail_sold' },
};

export const wmsAdapter: SourceAdapter<WmsMovement> = {
  sourceSystem: 'WMS',
  device: (r) => r.scannerId,
  operator: (r) => r.userId,
  sourceTimestamp: (r) => r.occurredAt,
  toEpcis(r): EpcisJsonEvent {
    requireFields('WMS', r, ['movementId', 'occurredAt', 'warehouseGln', 'scannerId']);
    const { offset } = parseIsoWithOffset(r.occurredAt);
    const location = toDigitalLink(`(414)${r.warehouseGln}`);
    const common = {
      eventID: `wms:${r.movementId}`,
      eventTime: r.occurredAt,
      eventTimeZoneOffset: offset,
      readPoint: { id: location },
      bizLocation: { id: location },
      ...(r.orderRef
        ? { bizTransactionList: [{ type: 'po', bizTransaction: `urn:unitrail:order:${r.orderRef}` }] }
        : {}),
    };
    if (r.movementType === 'REPORT') throw reportHasNoEvent('WMS');
    const items = r.items.map((i) => toDigitalLink(i));
    switch (r.movementType) {
      case 'PALLETIZE':
      case 'DEPALLETIZE':
      case 'UNPACK':
        requireFields('WMS', r, ['container']);
        return {
          type: 'AggregationEvent',
          action: r.movementType === 'PALLETIZE' ? 'ADD' : 'DELETE',
          ...common,
          parentID: toDigitalLink(r.container!),
          childEPCs: items,
          bizStep: r.movementType === 'PALLETIZE' ? 'packing' : 'unpacking',
          disposition: 'in_progress',
        };
      default: {
        const what = r.container ? [toDigitalLink(r.container), ...items] : items;
        const step = observe[r.movementType]!;
        const event: EpcisJsonEvent = {
          type: 'ObjectEvent',
          action: 'OBSERVE',
          ...common,
          epcList: what,
          ...step,
        };
        if (r.movementType === 'SHIP' && r.destinationGln) {
          event.sourceList = [{ type: 'location', source: toDigitalLink(`(414)${r.warehouseGln}`) }];
          event.destinationList = [
            { type: 'location', destination: toDigitalLink(`(414)${r.destinationGln}`) },
          ];
        }
        return event;
      }
    }
  },
};

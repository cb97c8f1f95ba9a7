/**
 * TMS: UTC epoch seconds, SSCCs as bare digits, carrier status words.
 * Every status is an ObjectEvent OBSERVE of the shipped SSCCs: PICKED_UP/DEPARTED → departing,
 * in_transit; ARRIVED → arriving, in_transit; DELIVERED → receiving, in_progress (the consignee's step).
 */
import type { EpcisJsonEvent, SourceAdapter } from './adapter';
import { requireEpochMs, requireFields, requireGeo } from './adapter';
import { toDigitalLink } from '../gs1';

export interface TmsShipmentEvent {
  eventRef: string;
  tsEpochSec: number;
  status: 'PICKED_UP' | 'DEPARTED' | 'ARRIVED' | 'DELIVERED';
  carrierId: string;
  vehicleId: string;
  driverId: string | null;
  ssccs: string[];
  fromGln: string;
  toGln: string;
  waybill: string;
  latitude: number | null;
  longitude: number | null;
}

const steps: Record<TmsShipmentEvent['status'], { bizStep: string; disposition: string; at: 'from' | 'to' }> =
  {
    PICKED_UP: { bizStep: 'departing', disposition: 'in_transit', at: 'from' },
    DEPARTED: { bizStep: 'departing', disposition: 'in_transit', at: 'from' },
    ARRIVED: { bizStep: 'arriving', disposition: 'in_transit', at: 'to' },
    DELIVERED: { bizStep: 'receiving', disposition: 'in_progress', at: 'to' },
  };

export const tmsAdapter: SourceAdapter<TmsShipmentEvent> = {
  sourceSystem: 'TMS',
  device: (r) => r.vehicleId,
  operator: (r) => r.driverId,
  sourceTimestamp: (r) => String(r.tsEpochSec),
  geo: (r) =>
    r.latitude !== null && r.longitude !== null ? { latitude: r.latitude, longitude: r.longitude } : null,
  toEpcis(r): EpcisJsonEvent {
    requireFields('TMS', r, ['eventRef', 'carrierId', 'vehicleId', 'fromGln', 'toGln', 'waybill']);
    requireEpochMs('TMS', 'tsEpochSec (as ms)', r.tsEpochSec * 1000);
    requireGeo('TMS', r.latitude, r.longitude);
    const step = steps[r.status];
    const site = toDigitalLink(`(414)${step.at === 'from' ? r.fromGln : r.toGln}`);
    return {
      type: 'ObjectEvent',
      action: 'OBSERVE',
      eventID: `tms:${r.eventRef}`,
      eventTime: new Date(r.tsEpochSec * 1000).toISOString(),
      eventTimeZoneOffset: '+00:00',
      epcList: r.ssccs.map((s) => toDigitalLink(`(00)${s}`)),
      bizStep: step.bizStep,
      disposition: step.disposition,
      readPoint: { id: site },
      bizLocation: { id: site },
      bizTransactionList: [
        { type: 'bol', bizTransaction: `urn:unitrail:waybill:${r.carrierId}:${r.waybill}` },
      ],
      sourceList: [{ type: 'location', source: toDigitalLink(`(414)${r.fromGln}`) }],
      destinationList: [{ type: 'location', destination: toDigitalLink(`(414)${r.toGln}`) }],
    };
  },
};

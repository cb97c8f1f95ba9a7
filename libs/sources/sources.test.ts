import { normalize } from '.';
import { generateDemo, world } from '../demo';
import { topics } from '../topics';
import { InvalidInputError } from '../errors';
import type { MesUnitEvent, WmsMovement, TmsShipmentEvent } from '.';

const lineage = (topic: string) => ({ topic, partition: 0, offset: 1, schemaId: 1 });
const demo = generateDemo({ events: 13, seed: 5 });
const mes = demo.find((r) => r.topic === topics.rawMes.name)!.value as MesUnitEvent;
const wmsPalletize = demo.find((r) => r.topic === topics.rawWms.name)!.value as WmsMovement;
const tms = demo.find((r) => r.topic === topics.rawTms.name)!.value as TmsShipmentEvent;

describe('source normalisation', () => {
  it('maps an MES commissioning: plant wall clock to UTC, units as Digital Links with the lot', () => {
    const e = normalize(topics.rawMes.name, mes, lineage(topics.rawMes.name));
    expect(e).toMatchObject({
      eventType: 'ObjectEvent',
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      sourceSystem: 'MES',
      eventTimeZoneOffset: '+01:00',
      machineId: mes.machineId,
    });
    expect(e.eventTime).toBe(mes.plantTimeMs - 3600_000);
    expect(e.sourceTimestamp).toBe(`${mes.plantTimeMs} Europe/Berlin`);
    expect(e.epcList).toHaveLength(6);
    expect(e.epcList[0]).toMatchObject({
      uri: `https://id.gs1.org/01/${mes.gtin}/21/${mes.serials[0]}`,
      gtin: mes.gtin,
      serial: mes.serials[0],
      lot: mes.lot,
    });
    expect(e.eventId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    expect(e.sourceEventId).toBe(`mes:${mes.msgId}`);
  });

  it('maps a WMS palletizing: element strings to SSCC Digital Links, ISO offset kept', () => {
    const e = normalize(topics.rawWms.name, wmsPalletize, lineage(topics.rawWms.name));
    expect(e).toMatchObject({
      eventType: 'AggregationEvent',
      action: 'ADD',
      bizStep: 'packing',
      eventTimeZoneOffset: '+01:00',
      sourceTimestamp: wmsPalletize.occurredAt,
    });
    expect(e.parentId?.uri).toBe(`https://id.gs1.org/00/${wmsPalletize.container!.slice(4)}`);
    expect(e.childEpcs.map((c) => c.scheme)).toEqual(['sscc', 'sscc', 'sscc', 'sscc']);
    expect(e.bizLocation).toBe(`https://id.gs1.org/414/${world.plantGln}`);
  });

  it('maps a TMS departure: epoch seconds in UTC, the truck as device', () => {
    const e = normalize(topics.rawTms.name, tms, lineage(topics.rawTms.name));
    expect(e).toMatchObject({
      eventType: 'ObjectEvent',
      action: 'OBSERVE',
      bizStep: 'departing',
      disposition: 'in_transit',
      eventTime: tms.tsEpochSec * 1000,
      eventTimeZoneOffset: '+00:00',
      machineId: 'truck-42',
    });
    expect(e.geo).toEqual({ latitude: tms.latitude, longitude: tms.longitude });
  });

  it('gives a re-send under a new message id the same event id, and another event another id', () => {
    const a = normalize(topics.rawMes.name, mes, lineage(topics.rawMes.name));
    const b = normalize(topics.rawMes.name, { ...mes, msgId: 'other' }, lineage(topics.rawMes.name));
    const c = normalize(topics.rawMes.name, { ...mes, serials: ['X1'] }, lineage(topics.rawMes.name));
    expect(b.eventId).toBe(a.eventId);
    expect(c.eventId).not.toBe(a.eventId);
  });

  it('refuses a GTIN with a wrong check digit and a record missing a required field, with reasons', () => {
    const bad = { ...mes, gtin: mes.gtin.slice(0, 13) + String((Number(mes.gtin[13]) + 1) % 10) };
    expect(() => normalize(topics.rawMes.name, bad, lineage(topics.rawMes.name))).toThrow(InvalidInputError);
    try {
      normalize(
        topics.rawMes.name,
        { ...mes, operation: 'PACK', caseSscc: null },
        lineage(topics.rawMes.name),
      );
      throw new Error('should have thrown');
    } catch (err) {
      expect((err as InvalidInputError).reasons).toEqual([
        { code: 'REQUIRED_FIELD', message: 'MES record has no caseSscc' },
      ]);
    }
  });
});

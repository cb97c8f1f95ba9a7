/**
 * Source records that used to be stored altered or to crash the validator (issue 13 §1, §2):
 * each is refused by normalize() with a reason code, which the validator turns into a DLQ record.
 */
import { normalize, expiryDate, type MesUnitEvent, type TmsShipmentEvent, type WmsMovement } from '.';
import { generateDemo } from '../demo';
import { InvalidInputError } from '../errors';
import { topics } from '../topics';

const lineage = (topic: string) => ({ topic, partition: 0, offset: 1, schemaId: 1 });
const demo = generateDemo({ events: 13, seed: 5 });
const mes = demo.find((r) => r.topic === topics.rawMes.name)!.value as MesUnitEvent;
const wms = demo.find((r) => r.topic === topics.rawWms.name)!.value as WmsMovement;
const tms = demo.find((r) => r.topic === topics.rawTms.name)!.value as TmsShipmentEvent;

function reasons(topic: string, record: unknown): { code: string; message: string }[] {
  try {
    normalize(topic, record, lineage(topic));
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return [...(err as InvalidInputError).reasons];
  }
  throw new Error('record was accepted');
}
const mesReasons = (change: Partial<MesUnitEvent>) => reasons(topics.rawMes.name, { ...mes, ...change });

describe('MES records refused at the door', () => {
  it('plantTimeMs 9e15 (a RangeError that killed the validator) and other impossible times', () => {
    expect(mesReasons({ plantTimeMs: 9e15 })).toEqual([
      {
        code: 'TIME_INVALID',
        message: expect.stringMatching(
          /^MES plantTimeMs 9000000000000000 is not a time in the years 1583-9999/,
        ),
      },
    ]);
    expect(mesReasons({ plantTimeMs: -1e15 })[0]!.code).toBe('TIME_INVALID');
    expect(mesReasons({ plantTimeMs: 1.5 })[0]!.code).toBe('TIME_INVALID');
    expect(mesReasons({ plantTimeMs: Number.NaN })[0]!.code).toBe('INPUT_NUMBER_INVALID');
  });

  it('an expiry that is not a YYMMDD date (zz used to be stored as "NaN--")', () => {
    expect(mesReasons({ operation: 'COMMISSION', expiry: 'zz' })).toEqual([
      { code: 'EXPIRY_INVALID', message: 'MES expiry "zz" is not six digits (GS1 AI 17: YYMMDD)' },
    ]);
    expect(mesReasons({ operation: 'COMMISSION', expiry: '251301' })[0]!.message).toMatch(/no month 13/);
    expect(mesReasons({ operation: 'COMMISSION', expiry: '250231' })[0]!.message).toMatch(/no day 31/);
  });

  it('reads real expiries, day 00 as the month’s last day (GS1 General Specifications)', () => {
    expect(expiryDate('270615')).toBe('2027-06-15');
    expect(expiryDate('280200')).toBe('2028-02-29');
    expect(expiryDate('990100')).toBe('1999-01-31');
  });

  it('NUL or a lone surrogate in any field (machineId stalled the DLQ sink)', () => {
    expect(mesReasons({ machineId: 'printer\u00001' })).toEqual([
      { code: 'INPUT_TEXT_INVALID', message: 'MES machineId contains NUL (U+0000) at character 8' },
    ]);
    expect(mesReasons({ serials: ['A1', 'B\ud800'] })[0]!.message).toMatch(
      /^MES serials\[1\] contains a lone surrogate/,
    );
  });

  it('an identifier longer than 2,000 characters', () => {
    expect(mesReasons({ lineId: 'L'.repeat(20_000) })).toEqual([
      { code: 'IDENTIFIER_TOO_LONG', message: 'MES lineId is 20000 characters long; at most 2000' },
    ]);
  });

  it('a position off the Earth', () => {
    expect(mesReasons({ latitude: 91, longitude: 0 })[0]).toEqual({
      code: 'INPUT_NUMBER_INVALID',
      message: 'MES latitude 91 is not within -90..90',
    });
  });
});

describe('WMS and TMS records refused at the door', () => {
  it('a WMS time that is no date (2025-02-31 used to become 3 March)', () => {
    expect(reasons(topics.rawWms.name, { ...wms, occurredAt: '2025-02-31T10:00:00+01:00' })[0]).toMatchObject(
      {
        code: 'TIME_INVALID',
        message: expect.stringMatching(/day 31 does not exist/),
      },
    );
    expect(reasons(topics.rawWms.name, { ...wms, occurredAt: '0099-06-01T10:00:00+01:00' })[0]!.code).toBe(
      'TIME_INVALID',
    );
  });

  it('a TMS epoch beyond any date', () => {
    expect(reasons(topics.rawTms.name, { ...tms, tsEpochSec: 9e15 })[0]!.code).toBe('TIME_INVALID');
  });
});

describe('EPCIS envelopes from Kafka meet the capture API’s door', () => {
  const envelope = (event: string) => ({
    captureId: 'c',
    eventIndex: 0,
    documentFormat: 'json',
    event,
    namespaces: {},
    receivedAt: 0,
    producer: 'p',
  });
  const event = {
    type: 'AggregationEvent',
    eventTime: '2025-06-01T10:00:00Z',
    eventTimeZoneOffset: '+00:00',
    action: 'ADD',
    parentID: 'urn:epc:id:sscc:4012345.0000000001',
    childEPCs: ['urn:epc:id:sgtin:4012345.011111.1'],
  };

  it('an aggregation whose child EPC holds NUL (it broke the parent lookup in prepare)', () => {
    const bad = { ...event, childEPCs: ['urn:epc:id:sgtin:4012345.011111.\u00001'] };
    expect(reasons(topics.rawEpcis.name, envelope(JSON.stringify(bad)))[0]).toMatchObject({
      code: 'INPUT_TEXT_INVALID',
      message: expect.stringMatching(/childEPCs\[0\] contains NUL/),
    });
  });

  it('5,000 nested objects', () => {
    const deep = JSON.stringify(event).replace(/}$/, `,"ex:d":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_001)}`);
    expect(reasons(topics.rawEpcis.name, envelope(deep))[0]!.code).toBe('INPUT_TOO_DEEP');
  });

  it('a negative quantity and an impossible date', () => {
    const q = {
      ...event,
      childQuantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.011111.L', quantity: -5 }],
    };
    expect(reasons(topics.rawEpcis.name, envelope(JSON.stringify(q)))[0]!.code).toBe('QUANTITY_NEGATIVE');
    const t = { ...event, eventTime: '0000-01-01T00:00:00Z' };
    expect(reasons(topics.rawEpcis.name, envelope(JSON.stringify(t)))[0]!.code).toBe('TIME_INVALID');
  });
});

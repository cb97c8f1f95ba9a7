import { masterdataReasons } from './masterdata-rules';
import { lookupFrom, masterdataKey, type MasterdataRecord } from '../masterdata';
import type { SerializationEvent } from '../events';

const rec = (kind: string, id: string): MasterdataRecord => ({
  kind,
  id,
  name: id,
  attributes: {},
  deleted: false,
  updatedAt: 0,
});
const known = new Map(
  [rec('product', '04012345100013'), rec('site', '4012345000016'), rec('device', 'line-1')].map((r) => [
    masterdataKey(r.kind, r.id),
    r,
  ]),
);
const md = lookupFrom((k) => known.get(k));
const event = (over: Partial<SerializationEvent>) =>
  ({
    sourceSystem: 'MES',
    machineId: 'line-1',
    bizLocation: 'https://id.gs1.org/414/4012345000016',
    readPoint: null,
    epcList: [
      {
        uri: 'u',
        scheme: 'sgtin',
        gtin: '04012345100013',
        serial: '1',
        lot: null,
        sscc: null,
        original: null,
      },
    ],
    childEpcs: [],
    inputEpcList: [],
    outputEpcList: [],
    ...over,
  }) as SerializationEvent;
const codes = (e: SerializationEvent, strict = ['MES', 'WMS', 'TMS']) =>
  masterdataReasons(e, md, strict).map((r) => r.code);

describe('master data rules', () => {
  it('accepts an event whose product, site and device are known', () => {
    expect(codes(event({}))).toEqual([]);
  });
  it('names an unknown GTIN, site and device', () => {
    const e = event({
      machineId: 'rogue',
      bizLocation: 'https://id.gs1.org/414/4012345000023',
      epcList: [
        {
          uri: 'u',
          scheme: 'sgtin',
          gtin: '04012345100020',
          serial: '1',
          lot: null,
          sscc: null,
          original: null,
        },
      ],
    });
    expect(codes(e)).toEqual(['UNKNOWN_GTIN', 'UNKNOWN_SITE', 'UNKNOWN_DEVICE']);
  });
  it("leaves partners' EPCIS events alone", () => {
    expect(codes(event({ sourceSystem: 'EPCIS', machineId: 'their-reader' }))).toEqual([]);
  });
});

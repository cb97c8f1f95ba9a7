import { canonicalEvent, type SerializationEvent } from '../events';
import { identifier } from './testing';
import { topics } from '../topics';
import { caseIdOf, effectsOf, type Alert, type Effect, type FloorSignal } from './detect';

const signal = (over: Partial<FloorSignal> = {}): FloorSignal => ({
  signalId: 'MES:M1:EXCEPTION_REPORT:0',
  kind: 'EXCEPTION_REPORT',
  sourceSystem: 'MES',
  sourceEventId: 'M1',
  deviceId: 'line-1-printer',
  siteGln: '4012345000016',
  lineId: '1',
  operatorId: 'op-1',
  eventTime: 1_700_000_000_000,
  receivedAt: 1_700_000_000_100,
  gtin: '04012345100013',
  subject: 'https://id.gs1.org/01/04012345100013/21/A1',
  verification: null,
  exception: { kind: 'DAMAGED_LABEL', subjectType: 'UNIT', subject: 'A1', text: 'torn', operatorId: 'op-1' },
  sourceRef: 'ut.raw.mes.v1:0:5',
  ...over,
});

const alert = (over: Partial<Alert>): Alert => ({
  alertId: 'a1',
  kind: 'quarantine_breach',
  severity: 'critical',
  message: 'moved',
  recallId: 'R-1',
  partner: null,
  eventId: 'e1',
  createdAt: 1_700_000_000_000,
  payload: JSON.stringify({
    identifiers: ['https://id.gs1.org/01/04012345100013/21/A1'],
    bizLocation: 'https://id.gs1.org/414/4012345000023',
  }),
  ...over,
});

const id = identifier;
const P = 'https://id.gs1.org/00/140123450000000006';
const C1 = 'https://id.gs1.org/00/240123450000000010';
const C2 = 'https://id.gs1.org/00/240123450000000027';
const C3 = 'https://id.gs1.org/00/240123450000000034';
const receiving = (listed: string[]): SerializationEvent =>
  canonicalEvent({
    eventId: 'ni:///sha-256;r1',
    eventType: 'ObjectEvent',
    eventTime: 1_700_000_000_000,
    sourceSystem: 'WMS',
    lineage: { topic: 'ut.raw.wms.v1', partition: 0, offset: 1, schemaId: 1 },
    bizStep: 'receiving',
    epcList: [id(P, 'sscc'), ...listed.map((u) => id(u, 'sscc'))],
    machineId: 'wms-scanner-7',
  });

describe('effectsOf', () => {
  it('opens one case per exception report, keyed by the signal id, none for a verification', () => {
    const [e] = effectsOf(topics.signals.name, signal());
    expect(e).toMatchObject({
      type: 'open',
      incident: {
        incidentKey: 'signal:MES:M1:EXCEPTION_REPORT:0',
        kind: 'DAMAGED_LABEL',
        deviceId: 'line-1-printer',
      },
    });
    expect(effectsOf(topics.signals.name, signal())).toEqual([e]);
    // An EPC URN is kept in the journey store's form; a bare MES serial becomes a unit of the record's GTIN.
    const urn = effectsOf(topics.signals.name, signal({ subject: 'urn:epc:id:sgtin:4012345.010001.A1' }));
    expect(urn[0]).toMatchObject({ incident: { subject: 'https://id.gs1.org/01/04012345100013/21/A1' } });
    const bare = effectsOf(topics.signals.name, signal({ subject: null }));
    expect(bare[0]).toMatchObject({
      incident: {
        subject: 'https://id.gs1.org/01/04012345100013/21/A1',
        units: ['https://id.gs1.org/01/04012345100013/21/A1'],
      },
    });
    expect(
      effectsOf(
        topics.signals.name,
        signal({
          kind: 'VERIFICATION',
          exception: null,
          verification: { code: 'A1', result: 'NO_READ', grade: null, standard: null },
        }),
      ),
    ).toEqual([]);
    const other = effectsOf(
      topics.signals.name,
      signal({
        exception: { kind: 'OTHER', subjectType: 'UNIT', subject: 'A1', text: 'x', operatorId: 'op-2' },
      }),
    );
    expect(other[0]).toMatchObject({ incident: { kind: 'OTHER', operatorId: 'op-2' } });
  });

  it('opens MISSING_SKU for UNKNOWN_GTIN keyed by the event id (a failed replay joins it), nothing for other reasons', () => {
    const dlq = {
      dlqId: 'validator/ut.raw.wms.v1/0/9',
      reasons: [
        {
          code: 'UNKNOWN_GTIN',
          message: "GTIN 09506000134352 is not in master data (load it with 'unitrail masterdata load')",
        },
      ],
      eventId: 'ni:///sha-256;x',
      deviceId: 'wms-scanner-7',
      sourceSystem: 'WMS',
      failedAt: 5,
      replayOf: null,
      sourceTopic: 'ut.raw.wms.v1',
    };
    const [e] = effectsOf(topics.dlq.name, dlq);
    expect(e).toMatchObject({
      type: 'open',
      incident: {
        incidentKey: 'missing_sku:ni:///sha-256;x',
        gtin: '09506000134352',
        eventId: 'ni:///sha-256;x',
      },
    });
    const again = effectsOf(topics.dlq.name, {
      ...dlq,
      dlqId: 'validator/ut.raw.wms.v1/0/77',
      replayOf: dlq.dlqId,
    });
    expect(again[0]).toMatchObject({ incident: { incidentKey: 'missing_sku:ni:///sha-256;x' } });
    expect(
      effectsOf(topics.dlq.name, { ...dlq, reasons: [{ code: 'BAD_CHECK_DIGIT', message: 'x' }] }),
    ).toEqual([]);
  });

  it('opens a case per quarantine breach and per device episode; a clear is a note on that case', () => {
    expect(effectsOf(topics.alerts.name, alert({}))[0]).toMatchObject({
      incident: {
        incidentKey: 'alert:a1',
        kind: 'QUARANTINE_BREACH',
        units: ['https://id.gs1.org/01/04012345100013/21/A1'],
      },
    });
    const payload = JSON.stringify({
      device: 'P-3',
      site: 'S',
      metric: 'grade',
      value: 2.1,
      baseline: 3.8,
      since: 9,
      episodeId: 'device:P-3:grade:9',
    });
    for (const kind of ['device_degrading', 'device_drifting', 'device_silent']) {
      expect(
        effectsOf(topics.alerts.name, alert({ kind, alertId: 'device:P-3:grade:9', payload }))[0],
      ).toMatchObject({
        incident: { incidentKey: 'device:device:P-3:grade:9', kind: 'DEVICE_FAULT', deviceId: 'P-3' },
      });
    }
    expect(effectsOf(topics.alerts.name, alert({ kind: 'device_cleared', payload }))[0]).toMatchObject({
      type: 'note',
      incidentKey: 'device:device:P-3:grade:9',
    });
    expect(effectsOf(topics.alerts.name, alert({ kind: 'partner_notice' }))).toEqual([]);
  });

  it('opens MISLABELED_PALLET when a received pallet lists other items than were palletised into it', () => {
    const contents = new Map([[P, [C1, C2]]]);
    const clean = effectsOf(topics.journey.name, receiving([C2, C1]), contents);
    expect(clean).toEqual([{ type: 'landed', eventId: 'ni:///sha-256;r1' }]);
    const wrong = effectsOf(topics.journeySurge.name, receiving([C1, C3]), contents);
    expect(wrong[1]).toMatchObject({
      type: 'open',
      incident: { kind: 'MISLABELED_PALLET', subject: P, detail: { missing: [C2], unexpected: [C3] } },
    });
    // A pallet nothing is known of, or a receiving that lists only the pallet: no case.
    expect(effectsOf(topics.journey.name, receiving([C3]), new Map())).toHaveLength(1);
    expect(effectsOf(topics.journey.name, receiving([]), contents)).toHaveLength(1);
  });

  it("keys a clerk's mislabeled-pallet report and the receiving's mismatch of that pallet alike, in any form of its SSCC", () => {
    const contents = new Map([[P, [C1, C2]]]);
    const detected = effectsOf(topics.journey.name, receiving([C1, C3]), contents)[1];
    const keyOf = (e: Effect | undefined) => (e?.type === 'open' ? e.incident.incidentKey : null);
    expect(keyOf(detected)).toBe(`mislabeled:${P}`);
    const report = (subject: string, given: string | null) =>
      signal({
        signalId: 'WMS:W9:EXCEPTION_REPORT:0',
        sourceSystem: 'WMS',
        subject: given,
        exception: {
          kind: 'MISLABELED_PALLET',
          subjectType: 'PALLET',
          subject,
          text: 'x',
          operatorId: 'c-1',
        },
      });
    const forms = [
      report('(00)140123450000000006', null),
      report('00140123450000000006', 'urn:epc:id:sscc:4012345.1000000000'),
      report('(00)140123450000000006', P),
    ];
    for (const r of forms) expect(keyOf(effectsOf(topics.signals.name, r)[0])).toBe(keyOf(detected));
    // Another pallet's report is another incident.
    expect(keyOf(effectsOf(topics.signals.name, report('(00)140123450000000013', null))[0])).not.toBe(
      keyOf(detected),
    );
  });

  it('gives a stable short case id per key', () => {
    expect(caseIdOf('signal:x')).toMatch(/^C-[0-9A-F]{10}$/);
    expect(caseIdOf('signal:x')).toBe(caseIdOf('signal:x'));
    expect(caseIdOf('signal:y')).not.toBe(caseIdOf('signal:x'));
  });
});

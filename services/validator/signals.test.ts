/**
 * Floor signals (issue 9 §1): the validator writes one FloorSignal per verification and per
 * exception report to ut.signals.v1; a REPORT gives no journey event; a REPORT without its report
 * or a verification of a code that is not a GS1 key goes whole to the DLQ with a reason code.
 */
import fs from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { avroType } from '../../libs/avro';
import { demoMasterdata, generateDemo } from '../../libs/demo';
import { generateFloorDemo, parseFaults } from '../../libs/demo';
import { lookupFrom, type MasterdataRecord } from '../../libs/masterdata';
import type { InputRecord } from '../../libs/runtime';
import type { MesUnitEvent, WmsMovement } from '../../libs/sources';
import { topics } from '../../libs/topics';
import { handleRaw, type ValidatorContext } from './handler';

const demo = generateDemo({ events: 13, seed: 5 });
const mes = demo.find((r) => r.topic === topics.rawMes.name)!.value as MesUnitEvent;
const wms = demo.find((r) => r.topic === topics.rawWms.name)!.value as WmsMovement;
const record = (topic: string, value: unknown): InputRecord<unknown> => ({
  topic,
  partition: 1,
  offset: '42',
  key: null,
  headers: { 'ut-origin-ts': '1767600000000' },
  value,
  schemaId: 1,
  raw: Buffer.from('original'),
});
const md = new Map<string, MasterdataRecord>(demoMasterdata(0).map((r) => [`${r.kind}:${r.id}`, r]));
const ctx: ValidatorContext = {
  now: Date.UTC(2026, 6, 1),
  clockSkewMs: 300_000,
  horizonMs: 3650 * 86_400_000,
  ownSources: ['MES', 'WMS', 'TMS'],
  masterdata: lookupFrom((k) => md.get(k)),
};
const signalType = avroType('signal');
const produced = (outs: ReturnType<typeof handleRaw>, topic: string) =>
  outs.filter((o) => o.kind === 'produce' && o.topic === topic).map((o) => (o as { value: unknown }).value);

describe('floor signals in the validator', () => {
  it('sends a verified MES record on as its event and one signal per verification, keyed by device', () => {
    const value: MesUnitEvent = {
      ...mes,
      verifications: [
        { code: mes.serials[0]!, result: 'READ', grade: 'A', standard: 'ISO/IEC 15415' },
        { code: mes.serials[1]!, result: 'NO_READ', grade: null, standard: null },
      ],
    };
    const outs = handleRaw(record(topics.rawMes.name, value), ctx);
    expect(produced(outs, topics.validated.name)).toHaveLength(1);
    const signals = produced(outs, topics.signals.name) as Record<string, unknown>[];
    expect(signals).toHaveLength(2);
    expect(signals[0]).toMatchObject({
      signalId: `MES:${mes.msgId}:VERIFICATION:0`,
      kind: 'VERIFICATION',
      deviceId: mes.machineId,
      siteGln: mes.plantGln,
      receivedAt: 1767600000000,
      sourceRef: `${topics.rawMes.name}:1:42`,
      gtin: mes.gtin.padStart(14, '0'),
    });
    expect(String(signals[1]!.subject)).toContain(`/21/${mes.serials[1]}`);
    expect(outs.filter((o) => o.kind === 'produce' && o.topic === topics.signals.name)[0]).toMatchObject({
      key: mes.machineId,
    });
    for (const s of signals) expect(signalType.isValid(s)).toBe(true);
  });

  it('gives the same signal ids for the same record (a replay)', () => {
    const value = {
      ...mes,
      verifications: [{ code: mes.serials[0]!, result: 'READ', grade: 'B', standard: null }],
    };
    const ids = () =>
      produced(handleRaw(record(topics.rawMes.name, value), ctx), topics.signals.name).map(
        (s) => (s as { signalId: string }).signalId,
      );
    expect(ids()).toEqual(ids());
  });

  it('turns a WMS REPORT into one exception signal and no journey event', () => {
    const value: WmsMovement = {
      ...wms,
      movementType: 'REPORT',
      items: [],
      verifications: [{ code: wms.container!, result: 'NO_READ', grade: null, standard: null }],
      exceptionReport: {
        kind: 'DAMAGED_LABEL',
        subjectType: 'PALLET',
        subject: wms.container!,
        text: 'label torn',
        operatorId: 'clerk-9',
      },
    };
    const outs = handleRaw(record(topics.rawWms.name, value), ctx);
    expect(produced(outs, topics.validated.name)).toEqual([]);
    const signals = produced(outs, topics.signals.name) as Record<string, unknown>[];
    expect(signals.map((s) => s.kind)).toEqual(['VERIFICATION', 'EXCEPTION_REPORT']);
    expect(signals[1]).toMatchObject({
      signalId: `WMS:${wms.movementId}:EXCEPTION_REPORT:0`,
      operatorId: 'clerk-9',
      exception: { kind: 'DAMAGED_LABEL' },
    });
    expect(String(signals[1]!.subject)).toMatch(/\/00\/\d{18}$/);
    for (const s of signals) expect(signalType.isValid(s)).toBe(true);
  });

  it('reads an MES report subject of a pallet as its SSCC', () => {
    const value: MesUnitEvent = {
      ...mes,
      operation: 'REPORT',
      serials: [],
      exceptionReport: {
        kind: 'MISLABELED_PALLET',
        subjectType: 'CASE',
        subject: '240123450000000012'.slice(0, 17) + '5',
        text: 'x',
        operatorId: 'op-1',
      },
    };
    const outs = handleRaw(record(topics.rawMes.name, value), ctx);
    // A bad check digit is not a GS1 key: refused, not sent on.
    expect(outs[0]).toMatchObject({ kind: 'dlq', reasons: [{ code: 'EXCEPTION_SUBJECT_INVALID' }] });
  });

  it.each([
    [
      'a REPORT without exceptionReport',
      { ...mes, operation: 'REPORT', exceptionReport: null } as MesUnitEvent,
      'REPORT_WITHOUT_EXCEPTION',
    ],
    [
      'a verification whose code is not a serial',
      { ...mes, verifications: [{ code: 'x'.repeat(25), result: 'READ', grade: 'A', standard: null }] },
      'VERIFICATION_CODE_INVALID',
    ],
    [
      'a REPORT from a device nobody registered',
      {
        ...mes,
        operation: 'REPORT',
        machineId: 'rogue',
        exceptionReport: {
          kind: 'OTHER',
          subjectType: 'UNIT',
          subject: mes.serials[0]!,
          text: '',
          operatorId: 'o',
        },
      },
      'UNKNOWN_DEVICE',
    ],
  ] as const)('refuses %s to the DLQ with its reason, nothing else', (_what, value, code) => {
    const outs = handleRaw(record(topics.rawMes.name, value), ctx);
    expect(outs).toHaveLength(1);
    expect(outs[0]).toMatchObject({ kind: 'dlq', reasons: [expect.objectContaining({ code })] });
  });

  it('refuses a WMS verification whose code is no element string, with the event too', () => {
    const value = {
      ...wms,
      verifications: [{ code: '(01)123', result: 'READ', grade: 'A', standard: null }],
    };
    const outs = handleRaw(record(topics.rawWms.name, value), ctx);
    expect(outs).toEqual([expect.objectContaining({ kind: 'dlq' })]);
    expect(outs[0]).toMatchObject({ reasons: [{ code: 'VERIFICATION_CODE_INVALID' }] });
  });

  it('reads records written with the previous schema (no verifications field) as before', () => {
    const previous = avro.Type.forSchema(
      JSON.parse(
        fs.readFileSync(
          path.join(__dirname, '../../test/fixtures/schemas/previous/sources/mes-unit-event.avsc'),
          'utf8',
        ),
      ),
    );
    const current = avroType('sources/mes-unit-event');
    const { verifications: _v, exceptionReport: _e, ...old } = mes as MesUnitEvent;
    const read = current.createResolver(previous);
    const value = current.fromBuffer(previous.toBuffer(old), read);
    const outs = handleRaw(record(topics.rawMes.name, value), ctx);
    expect(outs.map((o) => o.kind === 'produce' && o.topic)).toEqual([topics.validated.name]);
  });
});

describe('the injected exceptions of the demo floor, through the validator', () => {
  const { records } = generateFloorDemo(
    { events: 3000, seed: 9 },
    parseFaults('damaged_label:2,missing_sku:2,mislabeled_pallet:2'),
  );
  const outputsOf = (pick: (v: Record<string, unknown>) => boolean) =>
    records
      .filter((r) => !Buffer.isBuffer(r.value) && pick(r.value as unknown as Record<string, unknown>))
      .map((r) => handleRaw(record(r.topic, r.value), ctx));

  it('gives each damaged label a NO_READ and an exception signal, and no event', () => {
    const outs = outputsOf((v) => v.operation === 'REPORT' || v.movementType === 'REPORT');
    expect(outs).toHaveLength(2);
    for (const o of outs) {
      expect(produced(o, topics.validated.name)).toEqual([]);
      expect((produced(o, topics.signals.name) as { kind: string }[]).map((s) => s.kind)).toEqual([
        'VERIFICATION',
        'EXCEPTION_REPORT',
      ]);
    }
  });

  it('refuses each unit of the unknown GTIN with UNKNOWN_GTIN', () => {
    const outs = outputsOf((v) => String(v.msgId ?? '').includes('-MS'));
    expect(outs).toHaveLength(2);
    for (const o of outs)
      expect(o[0]).toMatchObject({
        kind: 'dlq',
        reasons: [expect.objectContaining({ code: 'UNKNOWN_GTIN' })],
      });
  });

  it('lands each mislabeled pallet receipt as an event with its exception signal', () => {
    const outs = outputsOf(
      (v) => (v.exceptionReport as { kind?: string } | null)?.kind === 'MISLABELED_PALLET',
    );
    expect(outs).toHaveLength(2);
    for (const o of outs) {
      expect(produced(o, topics.validated.name)).toHaveLength(1);
      expect(
        produced(o, topics.signals.name).some((s) => (s as { kind: string }).kind === 'EXCEPTION_REPORT'),
      ).toBe(true);
    }
  });
});

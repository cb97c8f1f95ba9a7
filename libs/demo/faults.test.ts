import { UsageError } from '../errors';
import { topics } from '../topics';
import type { MesUnitEvent, WmsMovement } from '../sources';
import { demoCounts, generateDemo } from '.';
import { generateFloorDemo, parseFaults, UNKNOWN_GTIN } from './faults';

const opts = { events: 6000, seed: 4, dupRate: 0.05, invalidRate: 0.01 };

describe('--faults SPEC', () => {
  it('reads default as one fault of each kind', () => {
    const plan = parseFaults('default');
    expect(plan.devices.map((d) => d.kind).sort()).toEqual([
      'clock_drift',
      'printer_grade',
      'scanner_noread',
    ]);
    expect(plan.exceptions).toEqual({ damaged_label: 5, missing_sku: 5, mislabeled_pallet: 5 });
    expect(parseFaults('none')).toEqual({
      devices: [],
      exceptions: { damaged_label: 0, missing_sku: 0, mislabeled_pallet: 0 },
    });
    expect(parseFaults('clock_drift:truck-42:-30@1200').devices).toEqual([
      { kind: 'clock_drift', device: 'truck-42', at: 1200, secondsPerHour: -30 },
    ]);
  });

  it.each([
    ['printer_grade', /names no demo device/],
    ['printer_grade:nope', /names no demo device/],
    ['melt:line-1-printer', /is no fault kind/],
    ['clock_drift:truck-42', /seconds per hour/],
    ['damaged_label:x', /count/],
    ['scanner_noread:wms-scanner-7@1.5', /@AT/],
  ])('refuses %s with a one-line usage error', (spec, why) => {
    expect(() => parseFaults(spec)).toThrow(UsageError);
    expect(() => parseFaults(spec)).toThrow(why);
  });
});

describe('the demo floor', () => {
  const { records, report } = generateFloorDemo(opts, parseFaults('default'));

  it('is deterministic for a seed, keeps the stream length, goes out in receive order', () => {
    expect(generateFloorDemo(opts, parseFaults('default'))).toEqual({ records, report });
    expect(generateFloorDemo({ ...opts, seed: 5 }, parseFaults('default')).records).not.toEqual(records);
    expect(records).toHaveLength(opts.events);
    const times = records.map((r) => r.receivedAt!);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });

  it('keeps the base stream: the same duplicates and invalid records as without --faults', () => {
    const base = demoCounts(generateDemo(opts));
    const floor = demoCounts(records);
    // The injected records push as many off the stream's end (10 here).
    expect(Math.abs(floor.duplicates - base.duplicates)).toBeLessThanOrEqual(10);
    expect(floor.produced).toBe(base.produced);
    expect(floor.invalid - base.invalid).toBeGreaterThanOrEqual(5 - 10);
  });

  it('lets healthy printers verify mostly grade A and B, with rare no-reads', () => {
    const { records: clean } = generateFloorDemo(opts, parseFaults('none'));
    const checks = clean.flatMap((r) =>
      ((r.value as MesUnitEvent).verifications ?? []).filter(() => r.topic === topics.rawMes.name),
    );
    expect(checks.length).toBeGreaterThan(1000);
    const ab = checks.filter((c) => c.grade === 'A' || c.grade === 'B').length;
    expect(ab / checks.length).toBeGreaterThan(0.9);
    expect(checks.filter((c) => c.result === 'NO_READ').length / checks.length).toBeLessThan(0.01);
  });

  it('reports each device fault with its first record, and each exception with its subject', () => {
    expect(report.devices.map((d) => [d.kind, d.device])).toEqual([
      ['printer_grade', 'line-1-printer'],
      ['scanner_noread', 'wms-scanner-9'],
      ['clock_drift', 'truck-42'],
    ]);
    for (const d of report.devices) {
      expect(d.beganAtRecord).toBeGreaterThan(0);
      expect(d.site).toMatch(/^\d{13}$/);
    }
    // The spec's 5 of each, plus the damaged labels the printer and the scanner caused.
    const caused = Object.values(report.causedBy).reduce((a, b) => a + b, 0);
    for (const device of Object.keys(report.causedBy))
      expect(['line-1-printer', 'wms-scanner-9']).toContain(device);
    expect(caused).toBeGreaterThan(0);
    expect(report.exceptions).toEqual({ damaged_label: 5 + caused, missing_sku: 5, mislabeled_pallet: 5 });
    for (const kind of ['damaged_label', 'missing_sku', 'mislabeled_pallet'] as const) {
      expect(report.subjects[kind]).toHaveLength(report.exceptions[kind]);
      expect(new Set(report.subjects[kind]).size).toBe(report.exceptions[kind]);
    }
    const reports = records.filter((r) => {
      const v = r.value as { operation?: string; movementType?: string };
      return v.operation === 'REPORT' || v.movementType === 'REPORT';
    });
    expect(reports).toHaveLength(5 + caused);
    expect(records.filter((r) => (r.value as MesUnitEvent).gtin === UNKNOWN_GTIN)).toHaveLength(5);
    const mislabeled = records.filter(
      (r) => (r.value as WmsMovement).exceptionReport?.kind === 'MISLABELED_PALLET',
    );
    expect(mislabeled).toHaveLength(5);
    for (const r of mislabeled) expect((r.value as WmsMovement).items.length).toBeGreaterThan(0);
  });

  it('makes the faulty printer and scanner cause damaged-label reports after their faults began, on themselves', () => {
    const caused = records
      .map((r, i) => ({ i, v: r.value as MesUnitEvent & WmsMovement }))
      .filter(
        ({ v }) => v.exceptionReport?.kind === 'DAMAGED_LABEL' && !/-DL$/.test(v.msgId ?? v.movementId),
      );
    expect(caused).toHaveLength(report.exceptions.damaged_label - 5);
    for (const { i, v } of caused) {
      const device = v.machineId ?? v.scannerId;
      const fault = report.devices.find((d) => d.device === device)!;
      expect(fault.kind).not.toBe('clock_drift');
      expect(i).toBeGreaterThan(fault.beganAtRecord);
      expect(v.verifications).toBeNull();
    }
  });

  it('causes nothing without faults', () => {
    const none = generateFloorDemo(
      { events: 20_000, seed: 5, dupRate: 0.05, invalidRate: 0.01 },
      parseFaults('none'),
    );
    expect(none.report.exceptions).toEqual({ damaged_label: 0, missing_sku: 0, mislabeled_pallet: 0 });
    expect(none.report.causedBy).toEqual({});
    expect(none.records.some((r) => (r.value as MesUnitEvent).exceptionReport)).toBe(false);
  });

  it('degrades the printer after the fault began, not before', () => {
    const printer = report.devices.find((d) => d.kind === 'printer_grade')!;
    const grades = (from: number, to: number) =>
      records
        .slice(from, to)
        .filter((r) => (r.value as MesUnitEvent).machineId === printer.device)
        .flatMap((r) => (r.value as MesUnitEvent).verifications ?? [])
        .map((v) => ({ A: 4, B: 3, C: 2, D: 1, F: 0 })[v.grade ?? 'F']);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(grades(0, printer.beganAtRecord))).toBeGreaterThan(3.4);
    expect(mean(grades(records.length - 1000, records.length))).toBeLessThan(2);
  });
});

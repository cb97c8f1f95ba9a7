import { planBackfill, type AppliedCounts } from './backfill';
import type { Observation } from './detect';
import { addToHistory, HISTORY_BUCKET_MS, type HistoryBucket } from './history';

const T0 = Date.UTC(2026, 10, 30, 6);

/** A device's observations over `buckets` buckets: a read (grade by index), a no-read, an event each minute. */
function floor(device: string, buckets: number): Observation[] {
  const out: Observation[] = [];
  for (let m = 0; m < buckets * 5; m++) {
    const receivedAt = T0 + m * 60_000;
    const base = { device, site: '4012345000009', receivedAt, id: `${device}-${m}` };
    out.push({ kind: 'verification', ...base, read: true, grade: m % 5 });
    if (m % 3 === 0) out.push({ kind: 'verification', ...base, read: false, grade: null });
    out.push({ kind: 'event', ...base, eventTime: receivedAt });
  }
  return out;
}

const count = (obs: Observation[]) => {
  const m = new Map<string, HistoryBucket>();
  for (const o of obs) addToHistory(m, o);
  return [...m.values()];
};

const countersOf = (obs: Observation[]): Map<string, AppliedCounts> => {
  const m = new Map<string, AppliedCounts>();
  for (const o of obs) {
    if (o.kind === 'dlq') continue;
    const c =
      m.get(o.device) ??
      m.set(o.device, { verifications: 0, noReads: 0, graded: 0, events: 0 }).get(o.device)!;
    if (o.kind === 'event') c.events++;
    else {
      c.verifications++;
      if (!o.read) c.noReads++;
      else if (o.grade !== null) c.graded++;
    }
  }
  return m;
};

/** The stored rows after adding a plan's differences, sorted. */
function apply(stored: HistoryBucket[], add: HistoryBucket[]): HistoryBucket[] {
  const m = new Map(stored.map((b) => [`${b.device}|${b.start}`, { ...b }]));
  for (const d of add) {
    const b = m.get(`${d.device}|${d.start}`);
    if (!b) m.set(`${d.device}|${d.start}`, { ...d });
    else
      for (const f of ['verifications', 'noReads', 'graded', 'gradeSum', 'lowGrades', 'events'] as const)
        b[f] += d[f];
  }
  return sorted([...m.values()]);
}

const sorted = (bs: HistoryBucket[]) =>
  [...bs].sort((a, b) => a.device.localeCompare(b.device) || a.start - b.start);

describe('planBackfill', () => {
  const all = [...floor('printer', 6), ...floor('scanner', 6)];
  const full = sorted(count(all));
  const applied = countersOf(all);

  it('adds every bucket of a history that starts empty, and a second plan adds nothing', () => {
    const plan = planBackfill(full, [], applied);
    expect(apply([], plan.add)).toEqual(full);
    expect(plan.devices.map((d) => [d.device, d.verifications.status, d.events.status])).toEqual([
      ['printer', 'backfilled', 'backfilled'],
      ['scanner', 'backfilled', 'backfilled'],
    ]);
    const again = planBackfill(full, apply([], plan.add), applied);
    expect(again.add).toEqual([]);
    expect(again.devices.every((d) => d.verifications.status === 'complete')).toBe(true);
  });

  it('adds only what a partly counted bucket lacks: records interleaved in time, counted from a later offset', () => {
    // The stage counted every other record from the 40th on (as if read from two streams, one of
    // which was already past 096's start): buckets early and late hold part of their records.
    const counted = all.filter((_, i) => i >= 40 && i % 2 === 0);
    const stored = count(counted);
    const plan = planBackfill(full, stored, applied);
    expect(apply(stored, plan.add)).toEqual(full);
    expect(plan.add.every((b) => b.start % HISTORY_BUCKET_MS === 0)).toBe(true);
    expect(planBackfill(full, apply(stored, plan.add), applied).add).toEqual([]);
  });

  it('leaves a device whose applied records the topics no longer hold, and says why', () => {
    // Retention deleted the printer's first bucket of events; its verifications are all there.
    const recount = full.map((b) => (b.device === 'printer' && b.start === T0 ? { ...b, events: 0 } : b));
    const plan = planBackfill(recount, [], applied);
    const printer = plan.devices.find((d) => d.device === 'printer')!;
    expect(printer.events.status).toBe('incomplete');
    expect(printer.events.reason).toMatch(/no longer hold 5 of the events/);
    expect(printer.verifications.status).toBe('backfilled');
    expect(plan.add.filter((b) => b.device === 'printer').every((b) => b.events === 0)).toBe(true);
  });

  it('leaves a device whose recount holds records the stage never applied', () => {
    const late = new Map(applied);
    late.set('scanner', {
      ...applied.get('scanner')!,
      verifications: applied.get('scanner')!.verifications - 7,
    });
    const plan = planBackfill(full, [], late);
    const scanner = plan.devices.find((d) => d.device === 'scanner')!;
    expect(scanner.verifications.status).toBe('incomplete');
    expect(scanner.verifications.reason).toMatch(/hold 7 verifications .* never applied/);
    expect(plan.add.filter((b) => b.device === 'scanner').every((b) => b.verifications === 0)).toBe(true);
  });

  it('leaves a bucket that holds more than the topics do (the stage counted records since deleted)', () => {
    const stored = full.map((b) =>
      b.device === 'printer' && b.start === T0 ? { ...b, events: b.events + 1 } : b,
    );
    const plan = planBackfill(full, stored, applied);
    const printer = plan.devices.find((d) => d.device === 'printer')!;
    expect(printer.events.status).toBe('incomplete');
    expect(printer.events.reason).toMatch(/1 bucket\(s\) of the history hold more events/);
    expect(plan.add).toEqual([]);
  });

  it('reports a device the topics lost entirely', () => {
    const plan = planBackfill(
      [],
      [],
      new Map([['truck', { verifications: 0, noReads: 0, graded: 0, events: 3 }]]),
    );
    expect(plan.devices).toEqual([
      expect.objectContaining({
        device: 'truck',
        events: expect.objectContaining({ status: 'incomplete', applied: 3, recount: 0 }),
      }),
    ]);
  });
});

import { prng } from '../demo';
import { auc, fitLogistic, insights, patterns, predict, shiftOf, suggestAction, type IncidentRow } from '.';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** Poisson arrivals at `perDay(t)` (thinning at the given maximum rate). */
function arrivals(
  rnd: () => number,
  days: number,
  maxPerDay: number,
  perDay: (t: number) => number,
): number[] {
  const out: number[] = [];
  let t = T0;
  for (;;) {
    t += (-Math.log(1 - rnd()) / maxPerDay) * DAY;
    if (t >= T0 + days * DAY) return out;
    if (rnd() < perDay(t) / maxPerDay) out.push(t);
  }
}

const row = (deviceId: string, occurredAt: number, over: Partial<IncidentRow> = {}): IncidentRow => ({
  caseId: `C-${deviceId}-${occurredAt}`,
  kind: 'DAMAGED_LABEL',
  deviceId,
  lineId: null,
  site: null,
  gtin: null,
  operatorId: null,
  occurredAt,
  ...over,
});

/** Devices that go bad for a few days now and then: the recent rate tells, the long-run rate does not. */
function bursty(seed: number): IncidentRow[] {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  for (let d = 0; d < 8; d++) {
    const episodes = Array.from({ length: 6 }, () => T0 + rnd() * 115 * DAY);
    const rate = (t: number) => (episodes.some((e) => t >= e && t < e + 5 * DAY) ? 3 : 0.03);
    for (const t of arrivals(rnd, 120, 3, rate)) rows.push(row(`printer-${d}`, t));
  }
  return rows;
}

/** Devices with steady, different rates: each one's past rate is all there is to know. */
function steady(seed: number): IncidentRow[] {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  for (let d = 0; d < 8; d++) {
    const perDay = 0.05 + d * 0.12;
    for (const t of arrivals(rnd, 120, perDay, () => perDay)) rows.push(row(`scanner-${d}`, t));
  }
  return rows;
}

describe('insights', () => {
  it('beats the baseline when incidents come in bursts, and ranks by the model', () => {
    const r = insights(bursty(7));
    expect(r.evaluation).not.toBeNull();
    expect(r.evaluation!.beatsBaseline).toBe(true);
    expect(r.evaluation!.model.auc!).toBeGreaterThan(r.evaluation!.baseline.auc! + 0.05);
    expect(r.evaluation!.verdict).toMatch(/^the model beats the baseline/);
    expect(r.risks.every((x) => x.scoredBy === 'model')).toBe(true);
  });

  it('does not claim to beat the baseline when each device has a steady rate, and ranks by that rate', () => {
    const r = insights(steady(11));
    expect(r.evaluation!.beatsBaseline).toBe(false);
    expect(r.evaluation!.verdict).toMatch(/does not beat the baseline/);
    expect(r.risks[0]!.scoredBy).toBe('baseline');
    // The steadiest offender first, the quietest last.
    expect(r.risks[0]!.device).toBe('scanner-7');
    expect(r.risks.at(-1)!.device).toBe('scanner-0');
  });

  it('says when there is too little history to judge', () => {
    const r = insights([row('p', T0), row('p', T0 + 3 * DAY), row('q', T0 + 9 * DAY)]);
    expect(r.evaluation?.beatsBaseline ?? false).toBe(false);
    expect(r.risks.map((x) => x.device).sort()).toEqual(['p', 'q']);
  });
});

describe('patterns', () => {
  it('names the device, line, operator and shift where incidents concentrate', () => {
    const rows = [
      ...Array.from({ length: 8 }, (_, i) =>
        row('P-3', T0 + i * DAY + 23 * 3600_000, { lineId: '2', operatorId: 'op-4' }),
      ),
      row('P-1', T0 + 10 * 3600_000, { lineId: '1', operatorId: 'op-1' }),
      row('P-2', T0 + 15 * 3600_000, { lineId: '1', operatorId: 'op-2' }),
    ];
    const p = patterns(rows);
    expect(p.find((x) => x.dimension === 'device')).toMatchObject({ value: 'P-3', incidents: 8 });
    expect(p.find((x) => x.dimension === 'operator')).toMatchObject({ value: 'op-4' });
    expect(p.find((x) => x.dimension === 'shift')).toMatchObject({ value: 'night' });
    expect(p.some((x) => x.value === 'P-1')).toBe(false);
    expect(shiftOf(T0 + 7 * 3600_000)).toBe('early');
  });
});

describe('the pieces', () => {
  it('AUC: 1 for a perfect ranking, 0.5 for ties, null without both classes', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([1, 2], [1, 1])).toBeNull();
  });
  it('logistic regression learns a separable rule', () => {
    const xs = Array.from({ length: 40 }, (_, i) => [i / 40]);
    const m = fitLogistic(
      xs,
      xs.map(([x]) => (x! > 0.5 ? 1 : 0)),
    );
    expect(predict(m, [0.9])).toBeGreaterThan(0.8);
    expect(predict(m, [0.1])).toBeLessThan(0.2);
  });
  it('suggests an action from a device alert measure, else from the commonest kind', () => {
    expect(
      suggestAction('P-3', [
        row('P-3', T0, { kind: 'DEVICE_FAULT', metric: { name: 'grade', value: 2.1, baseline: 3.6 } }),
      ]),
    ).toBe('recalibrate printer P-3: grade 2.1 against a baseline of 3.6');
    expect(suggestAction('W-7', [row('W-7', T0, { kind: 'MISLABELED_PALLET' })])).toBe(
      'audit the palletising scans at W-7: 1 mislabeled pallet case(s)',
    );
  });
});

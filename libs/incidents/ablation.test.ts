import { prng } from '../demo';
import {
  ablation,
  auc,
  featureGroups,
  insights,
  positiveRanks,
  type ConditionBucket,
  type IncidentRow,
} from '.';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3600_000;
const MIN5 = 300_000;

/**
 * Eight printers over 20 days, each bad now and then for half a day to a day and a half: its D/F share
 * goes from 2 % to 30 %, and its damaged labels come at 0.25 an hour (0.01 when it is good). Only
 * the health stage's history (x9–x11) shows the bad spells before the labels do; no alert is ever
 * raised and no activity is known, so x4–x8 are constant.
 */
function conditionLeads(seed: number): { rows: IncidentRow[]; condition: ConditionBucket[] } {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  const condition: ConditionBucket[] = [];
  for (let d = 0; d < 8; d++) {
    const device = `printer-${d}`;
    const spells = Array.from({ length: 3 }, () => {
      const from = T0 + rnd() * 19 * 24 * HOUR;
      return [from, from + (12 + rnd() * 24) * HOUR] as const;
    });
    const bad = (t: number) => spells.some(([a, b]) => t >= a && t < b);
    for (let t = T0; t < T0 + 20 * 24 * HOUR; t += MIN5) {
      let low = 0;
      for (let i = 0; i < 50; i++) if (rnd() < (bad(t) ? 0.3 : 0.02)) low++;
      condition.push({
        device,
        from: t,
        to: t + MIN5,
        verifications: 50,
        noReads: 0,
        graded: 50,
        lowGrades: low,
      });
      if (rnd() < ((bad(t) ? 0.25 : 0.01) * MIN5) / HOUR)
        rows.push({
          caseId: `C-${device}-${t}`,
          kind: 'DAMAGED_LABEL',
          deviceId: device,
          lineId: null,
          site: null,
          gtin: null,
          operatorId: null,
          occurredAt: t + Math.floor(rnd() * MIN5),
        });
    }
  }
  return { rows, condition };
}

describe('ablation: which features carry the model', () => {
  const { rows, condition } = conditionLeads(5);
  const a = ablation(rows, { condition, windowHours: 2 })!;
  const dropped = (group: string) => a.dropped.find((d) => d.group === group)!;

  it('judges the full model on the same windows as insights', () => {
    const e = insights(rows, { condition, windowHours: 2 }).evaluation!;
    expect(a.model).toBe(e.model.auc);
    expect(a.baseline).toBe(e.baseline.auc);
    expect(a.test).toEqual(e.test);
    expect(a.dropped.map((d) => d.group)).toEqual(Object.keys(featureGroups));
    // Each device's part of the AUC, weighted by its positives, is the AUC.
    const parts = a.devices.filter((d) => d.positives > 0);
    expect(parts.reduce((s, d) => s + d.model! * d.positives, 0) / a.test.positives).toBeCloseTo(a.model!, 9);
    expect(parts.reduce((s, d) => s + d.baseline! * d.positives, 0) / a.test.positives).toBeCloseTo(
      a.baseline!,
      9,
    );
    expect(a.devices.reduce((s, d) => s + d.windows, 0)).toBe(a.test.samples);
  });

  it('loses AUC when the group that alone carries the signal is dropped, and the bootstrap says so', () => {
    const c = dropped('condition');
    expect(c.features).toEqual(['x9', 'x10', 'x11']);
    expect(c.auc!).toBeLessThan(a.model! - 0.03);
    expect(c.loss!.low).toBeGreaterThan(0);
    // Its own gain over the baseline, by the verdict's bootstrap: what is left of the model's.
    expect(c.overBaseline!.difference).toBeCloseTo(c.auc! - a.baseline!, 9);
    expect(c.overBaseline!.low).toBeLessThan(
      insights(rows, { condition, windowHours: 2 }).evaluation!.overBaseline!.low,
    );
  });

  it('changes nothing when a group that is constant in this history is dropped', () => {
    // No alert, no activity: x4–x8 are 0 everywhere, so the refit without them scores the same.
    for (const group of ['alert', 'exposure']) {
      expect(dropped(group).auc).toBeCloseTo(a.model!, 9);
      expect(dropped(group).loss!.difference).toBeCloseTo(0, 9);
      // The same scores, the same draws: its gain over the baseline is the full model's, verdict's bootstrap and all.
      const e = insights(rows, { condition, windowHours: 2 }).evaluation!;
      expect(dropped(group).overBaseline!.difference).toBeCloseTo(e.overBaseline!.difference, 9);
      expect(dropped(group).overBaseline!.low).toBeCloseTo(e.overBaseline!.low, 9);
    }
  });

  it('refuses a group it does not know, naming the known ones', () => {
    expect(() => ablation(rows, { condition, windowHours: 2, groups: ['x12'] })).toThrow(
      /unknown feature group x12 \(known: cases, alert, exposure, condition, x9, x10, x11\)/,
    );
  });

  it('has nothing to say without a case on a device', () => {
    expect(ablation([], {})).toBeNull();
  });
});

describe('positiveRanks', () => {
  it('gives each positive the share of negatives below it (ties half): their mean is the AUC', () => {
    const scores = [0.1, 0.4, 0.4, 0.8, 0.3, 0.9];
    const labels = [0, 1, 0, 1, 0, 0];
    const r = positiveRanks(scores, labels);
    // Negatives 0.1, 0.3, 0.4, 0.9: 0.4 is above two and tied with one; 0.8 is above three.
    expect(r[1]).toBeCloseTo(2.5 / 4);
    expect(r[3]).toBeCloseTo(3 / 4);
    expect(r.filter((x) => !Number.isNaN(x))).toHaveLength(2);
    expect((r[1]! + r[3]!) / 2).toBeCloseTo(auc(scores, labels)!);
  });
});

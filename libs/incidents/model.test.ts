import { prng } from '../demo';
import {
  auc,
  chooseWindow,
  conditionFeatures,
  features,
  fitLogistic,
  insights,
  pairedBootstrap,
  patterns,
  predict,
  recordedBefore,
  shiftOf,
  suggestAction,
  type Activity,
  type ConditionBucket,
  type HealthEpisode,
  type IncidentRow,
} from '.';

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

/**
 * A floor of 10 devices over 60 days: every one has a few random incidents (two healthy ones
 * many), and five go bad on days 12, 27, 45, 52 and 59: the health stage raises an alert half a day in,
 * then incidents come at a rate that climbs to 3 a day over three days (a degrading printer's
 * labels).
 */
function floor(seed: number): { rows: IncidentRow[]; episodes: HealthEpisode[] } {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  const episodes: HealthEpisode[] = [];
  const faultDays = [12, 27, 45, 52, 59];
  for (let d = 0; d < 10; d++) {
    const device = `dev-${d}`;
    const background = d === 8 || d === 9 ? 1 : 0.2;
    const fault = d < 5 ? T0 + faultDays[d]! * DAY : null;
    const rate = (t: number) =>
      background + (fault !== null && t > fault ? 3 * Math.min(1, (t - fault) / (3 * DAY)) : 0);
    for (const t of arrivals(rnd, 60, background + 3, rate)) rows.push(row(device, t));
    if (fault !== null) {
      const raisedAt = fault + DAY / 2;
      episodes.push({ device, metric: 'print_grade', value: 2, baseline: 3.7, raisedAt, clearedAt: null });
      rows.push(row(device, raisedAt, { kind: 'DEVICE_FAULT' }));
    }
  }
  return { rows, episodes };
}

describe('insights with the device-health state', () => {
  const now = T0 + 60 * DAY;
  it('ranks the degrading devices above the healthy ones and beats the baseline when faults cause incidents', () => {
    const { rows, episodes } = floor(3);
    const r = insights(rows, { episodes, now });
    expect(r.evaluation!.test.positives).toBeGreaterThanOrEqual(5);
    expect(r.evaluation!.beatsBaseline).toBe(true);
    // dev-4 went bad a day ago: its open alert, not its few incidents yet, puts it with the others.
    expect(
      r.risks
        .slice(0, 5)
        .map((x) => x.device)
        .sort(),
    ).toEqual(['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4']);
    expect(r.risks.every((x) => x.scoredBy === 'model')).toBe(true);
  });

  it('ranks a drifting device with no incidents but its alert above every healthy device', () => {
    // dev-10's clock drifts from day 40: its alert is its one case, and it makes no other, while the
    // healthy dev-5..9 keep their random incidents (dev-8 and dev-9 one a day).
    const { rows, episodes } = floor(3);
    const raisedAt = T0 + 40 * DAY;
    const drift: HealthEpisode = {
      device: 'dev-10',
      metric: 'clock_drift',
      value: 60,
      baseline: 0.05,
      raisedAt,
      clearedAt: null,
    };
    // And dev-8 had an alert that cleared: a fixed device is not held faulty.
    const fixed: HealthEpisode = {
      ...drift,
      device: 'dev-8',
      raisedAt: T0 + 5 * DAY,
      clearedAt: T0 + 7 * DAY,
    };
    const all = [...rows, row('dev-10', raisedAt, { kind: 'DEVICE_FAULT' })];
    const r = insights(all, { episodes: [...episodes, drift, fixed], devices: ['dev-11'], now });
    const rank = (d: string) => r.risks.findIndex((x) => x.device === d);
    const healthy = ['dev-5', 'dev-6', 'dev-7', 'dev-8', 'dev-9', 'dev-11'].map(rank);
    for (const faulty of ['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-10'])
      expect(rank(faulty)).toBeLessThan(Math.min(...healthy));
    const truck = r.risks[rank('dev-10')]!;
    // Its own risk of a new case stays what its history says: below a noisy healthy device's.
    expect(truck.risk).toBeLessThan(r.risks[rank('dev-9')]!.risk);
    expect(truck.openAlert).toMatchObject({ metric: 'clock_drift', value: 60 });
    expect(truck.action).toBe('resynchronise the clock of dev-10: clock_drift 60 against a baseline of 0.05');
    expect(r.risks[rank('dev-8')]!.openAlert).toBeNull();
    // A registered device without cases is ranked (last), not left out.
    expect(r.risks.at(-1)).toMatchObject({ device: 'dev-11', total: 0, openAlert: null });
    expect(r.evaluation!.ranking.auc).not.toBeNull();
  });

  it('ranks by the risk alone when no alert is open at the time of ranking', () => {
    const { rows } = floor(3);
    const raisedAt = T0 + 40 * DAY;
    const cleared: HealthEpisode = {
      device: 'dev-10',
      metric: 'clock_drift',
      value: 60,
      baseline: 0.05,
      raisedAt,
      clearedAt: raisedAt + DAY,
    };
    const r = insights([...rows, row('dev-10', raisedAt, { kind: 'DEVICE_FAULT' })], {
      episodes: [cleared],
      now,
    });
    expect(r.risks.every((x) => x.openAlert === null)).toBe(true);
    expect(r.risks.map((x) => x.risk)).toEqual([...r.risks.map((x) => x.risk)].sort((a, b) => b - a));
    expect(r.risks.at(-1)!.device).toBe('dev-10');
  });

  it('claims nothing from alerts that do not go with the incidents, and ranks by the past rate', () => {
    // Steady devices; the four quietest get alerts that change nothing about their incidents.
    const rows = steady(11);
    const episodes = [0, 1, 2, 3].map((d): HealthEpisode => ({
      device: `scanner-${d}`,
      metric: 'no_read_rate',
      value: 0.2,
      baseline: 0.003,
      raisedAt: T0 + (20 + 20 * d) * DAY,
      clearedAt: null,
    }));
    const r = insights(rows, { episodes });
    expect(r.evaluation!.beatsBaseline).toBe(false);
    expect(r.risks[0]!.scoredBy).toBe('baseline');
    // The alerted four first (the health stage holds them faulty), each group by its past rate;
    // and the evaluation says what that order costs when the alerts predict nothing.
    expect(r.risks.map((x) => x.device)).toEqual([3, 2, 1, 0, 7, 6, 5, 4].map((d) => `scanner-${d}`));
    expect(r.evaluation!.ranking.auc!).toBeLessThan(r.evaluation!.baseline.auc!);
  });

  it('uses only the health state known at each window: an alert raised later is not a feature earlier', () => {
    const { rows, episodes } = floor(3);
    const without = insights(rows, { now: T0 + 40 * DAY });
    const withLater = insights(rows, {
      now: T0 + 40 * DAY,
      episodes: episodes.map((e) => ({ ...e, raisedAt: e.raisedAt + 30 * DAY })),
    });
    expect(withLater.evaluation).toEqual(without.evaluation);
  });
});

/**
 * Devices that work in shifts of random length and make incidents only while working (at different
 * rates): when a device is at work tells more than its past rate.
 */
function shifts(seed: number): { rows: IncidentRow[]; activity: Activity[] } {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  const activity: Activity[] = [];
  const HOUR = 3600_000;
  for (let d = 0; d < 6; d++) {
    const device = `line-${d}`;
    const perHour = 0.3 + 0.1 * d;
    for (let t = T0; t < T0 + 30 * DAY;) {
      const on = (4 + rnd() * 12) * HOUR;
      const off = (4 + rnd() * 20) * HOUR;
      for (let h = t; h + HOUR <= t + on; h += HOUR) {
        // Recorded in spans of a quarter hour, as the CLI loads them for one-hour windows.
        for (let q = 0; q < 4; q++)
          activity.push({ device, from: h + q * 900_000, to: h + (q + 1) * 900_000, count: 25 });
        if (rnd() < perHour) rows.push(row(device, h + rnd() * HOUR));
      }
      t += on + off;
    }
  }
  return { rows, activity };
}

describe('insights with the devices activity', () => {
  it('beats the baseline when devices make incidents only while they work', () => {
    const { rows, activity } = shifts(5);
    const r = insights(rows, { activity, windowHours: 1 });
    expect(r.evaluation!.beatsBaseline).toBe(true);
    // Without the activity the same history gives the model nothing to beat the rate with.
    expect(insights(rows, { windowHours: 1 }).evaluation!.model.auc!).toBeLessThan(r.evaluation!.model.auc!);
  });

  it('counts only the spans that ended by the time asked, within the window', () => {
    const a: Activity[] = [
      { device: 'p', from: T0, to: T0 + 60_000, count: 3 },
      { device: 'p', from: T0 + 60_000, to: T0 + 120_000, count: 4 },
    ];
    expect(recordedBefore(a, T0 + 60_000, 1)).toBe(3);
    expect(recordedBefore(a, T0 + 90_000, 1)).toBe(3);
    expect(recordedBefore(a, T0 + 120_000, 1)).toBe(7);
    expect(recordedBefore(a, T0 + 3600_000 + 30_000, 1)).toBe(4);
  });
});

const MIN5 = 300_000;

/** A bucket of the health stage's history: `graded` reads, `low` of them at D or F, `noReads` unread. */
const bucket = (device: string, from: number, graded: number, low: number, noReads = 0): ConditionBucket => ({
  device,
  from,
  to: from + MIN5,
  verifications: graded + noReads,
  noReads,
  graded,
  lowGrades: low,
});

/**
 * Eight printers over 20 days that now and then degrade for one to three days: their share of D/F
 * grades goes from 2 % to 25 % at once, and the damaged labels it causes come at 0.2 an hour
 * (0.01 when healthy). The health stage's history shows the degradation from its first bucket,
 * long before the few incidents do.
 */
function degrading(seed: number): { rows: IncidentRow[]; condition: ConditionBucket[] } {
  const rnd = prng(seed);
  const rows: IncidentRow[] = [];
  const condition: ConditionBucket[] = [];
  const HOUR = 3600_000;
  for (let d = 0; d < 8; d++) {
    const device = `printer-${d}`;
    const bad = Array.from({ length: 3 }, () => {
      const from = T0 + rnd() * 18 * DAY;
      return [from, from + (1 + rnd() * 2) * DAY] as const;
    });
    const isBad = (t: number) => bad.some(([a, b]) => t >= a && t < b);
    for (let t = T0; t < T0 + 20 * DAY; t += MIN5) {
      const share = isBad(t) ? 0.25 : 0.02;
      let low = 0;
      for (let i = 0; i < 100; i++) if (rnd() < share) low++;
      condition.push(bucket(device, t, 100, low, rnd() < 0.5 ? 1 : 0));
      if (rnd() < ((isBad(t) ? 0.2 : 0.01) * MIN5) / HOUR) rows.push(row(device, t + rnd() * MIN5));
    }
  }
  return { rows, condition };
}

describe('insights with the health stage history', () => {
  it('reads a device condition from the buckets ended by t: the D/F and no-read shares, the bad reads of the window', () => {
    const b = [
      bucket('p', T0, 60, 6, 0),
      bucket('p', T0 + MIN5, 60, 12, 20),
      bucket('p', T0 + 2 * MIN5, 60, 60, 40),
    ];
    // At T0 + 10 min the third bucket is still open: the first two (120 graded, 18 low; 140 read
    // attempts, 20 no-reads) are what is known.
    expect(conditionFeatures(b, T0 + 2 * MIN5, 1)).toEqual([
      Math.log1p((100 * 18) / 120),
      Math.log1p((100 * 20) / 140),
      Math.log1p(18 + 20),
    ]);
    // The latest 100 graded reads at least, in whole buckets: the last two once all three have ended.
    expect(conditionFeatures(b, T0 + 3 * MIN5, 1)[0]).toBeCloseTo(Math.log1p((100 * 72) / 120));
    // The window's bad reads count only buckets inside its last N h of reading: the N h up to its
    // latest read (an idle device's, however long ago).
    const later = [...b, bucket('p', T0 + 12 * MIN5, 60, 3, 1)];
    expect(conditionFeatures(later, T0 + 13 * MIN5, 1)[2]).toBeCloseTo(Math.log1p(32 + 100 + 4));
    expect(conditionFeatures(later, T0 + 100 * MIN5, 1)[2]).toBeCloseTo(Math.log1p(32 + 100 + 4));
    expect(conditionFeatures(later, T0 + 12 * MIN5, 1)[2]).toBeCloseTo(Math.log1p(6 + 32 + 100));
    expect(conditionFeatures([], T0, 1)).toEqual([0, 0, 0]);
  });

  it('never reads a bucket that had not ended at the window start (no future leaks into a feature)', () => {
    const { rows, condition } = degrading(4);
    const times = rows
      .filter((r) => r.deviceId === 'printer-0')
      .map((r) => r.occurredAt)
      .sort((a, b) => a - b);
    const mine = condition.filter((c) => c.device === 'printer-0');
    // Windows on a grid that does not fall on the buckets' edges: a bucket straddles every start.
    for (let t = T0 + DAY + 123_456; t < T0 + 20 * DAY; t += 3600_000) {
      const known = mine.filter((c) => c.to <= t);
      expect(features(times, t, T0, 1, [], null, undefined, mine)).toEqual(
        features(times, t, T0, 1, [], null, undefined, known),
      );
    }
  });

  it('beats the baseline when the condition leads the incidents, and does worse without it', () => {
    const { rows, condition } = degrading(6);
    const r = insights(rows, { condition, windowHours: 2 });
    expect(r.evaluation!.beatsBaseline).toBe(true);
    const without = insights(rows, { windowHours: 2 });
    expect(r.evaluation!.model.auc!).toBeGreaterThan(without.evaluation!.model.auc! + 0.02);
  });
});

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

describe('the window and the verdict rule', () => {
  const HOUR = 3600_000;
  it('chooses the longest window that leaves 25 test windows with an incident and 25 without', () => {
    // 4 devices, one incident every 3 h over 20 days: in 24 h windows every window holds one
    // (no window without), at 2 h a third do.
    const byDevice = new Map(
      ['a', 'b', 'c', 'd'].map((d, i) => [
        d,
        Array.from({ length: 160 }, (_, k) => T0 + (k * 3 + i * 0.1) * HOUR),
      ]),
    );
    const chosen = chooseWindow(byDevice, T0, T0 + 20 * DAY);
    expect(chosen.hours).toBe(2);
    expect(chosen.rule).toMatch(/^the longest of 24, 12, 8, 4, 2, 1, 0.5, 0.25 h/);
    // Three incidents in all: no window can be judged, the shortest is taken and it says so.
    const few = chooseWindow(new Map([['a', [T0, T0 + DAY, T0 + 2 * DAY]]]), T0, T0 + 3 * DAY);
    expect(few).toMatchObject({ hours: 0.25 });
    expect(few.rule).toMatch(/none does, so the shortest$/);
  });

  it('the paired bootstrap finds a real gain and no gain between a scorer and itself', () => {
    const rnd = prng(4);
    const labels = Array.from({ length: 400 }, () => (rnd() < 0.2 ? 1 : 0));
    const good = labels.map((y) => y + rnd());
    const noise = labels.map(() => rnd());
    const blocks = Array.from({ length: 80 }, (_, b) => [0, 1, 2, 3, 4].map((k) => b * 5 + k));
    const gain = pairedBootstrap(blocks, good, noise, labels, { draws: 300 })!;
    expect(gain.difference).toBeGreaterThan(0.3);
    expect(gain.low).toBeGreaterThan(0);
    const same = pairedBootstrap(blocks, noise, noise, labels, { draws: 300 })!;
    expect(same).toMatchObject({ difference: 0, low: 0, high: 0 });
    // A slightly noisier copy of the same scorer is no win.
    const near = noise.map((x) => x + rnd() * 0.01);
    expect(pairedBootstrap(blocks, near, noise, labels, { draws: 300 })!.low).toBeLessThan(0);
  });

  it('does not claim a win it cannot show: the verdict follows the bootstrap', () => {
    const r = insights(bursty(7));
    const e = r.evaluation!;
    expect(e.beatsBaseline).toBe(e.test.positives >= 5 && e.overBaseline!.low > 0);
    expect(e.verdictRule).toMatch(/paired bootstrap of 1000 draws/);
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
